"""The task table's grid follows the portal's light or dark theme: when toggled and on a load with dark remembered."""
import re

import pytest

from db.models import Role
from tests.portal.conftest import screenshot, sign_in
from workflow import tasks

pytestmark = pytest.mark.live

GRID_BACKGROUND = "getComputedStyle(document.querySelector('.ag-root-wrapper')).backgroundColor"


def luminance(colour: str) -> float:
    """Relative luminance (WCAG) of a CSS `rgb(...)`/`rgba(...)` colour, 0 black to 1 white."""
    red, green, blue = (int(part) / 255 for part in re.findall(r"[\d.]+", colour)[:3])

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def switch_to(page, theme: str) -> None:
    if page.get_attribute("html", "data-bs-theme") != theme:
        page.click("#theme-toggle")
    page.wait_for_selector(f"html[data-bs-theme='{theme}'][data-ag-theme-mode='{theme}']", state="attached")


def test_grid_is_dark_when_the_portal_is(page, live_server, portal_user):
    manager = portal_user(Role.MANAGER)
    with live_server.app.app_context():
        tasks.create_task(actor=manager, title="Task in a dark grid", assigned_to=manager.id)
    page.emulate_media(color_scheme="light")
    sign_in(page, live_server.url, manager, next_path="/tasks")
    page.wait_for_selector(".ag-row")
    switch_to(page, "light")
    assert luminance(page.evaluate(GRID_BACKGROUND)) > 0.8

    switch_to(page, "dark")
    assert luminance(page.evaluate(GRID_BACKGROUND)) < 0.1
    # The text on it is light, not the light theme's dark text; the titles are in the dark theme's lighter link blue.
    assert luminance(page.evaluate("getComputedStyle(document.querySelector('.ag-row [col-id=assignee]')).color")) > 0.5
    assert page.evaluate("getComputedStyle(document.querySelector('.ag-row [col-id=title]')).color") == "rgb(110, 168, 254)"
    screenshot(page, "tasks-table-dark")

    # The remembered preference beats the system's light one on the next load.
    page.reload()
    page.wait_for_selector(".ag-row")
    page.wait_for_selector("html[data-ag-theme-mode='dark']", state="attached")
    assert luminance(page.evaluate(GRID_BACKGROUND)) < 0.1

    switch_to(page, "light")
    assert luminance(page.evaluate(GRID_BACKGROUND)) > 0.8
