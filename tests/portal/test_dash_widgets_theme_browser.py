"""Dash's own widgets (dcc.Dropdown, the date pickers) follow the portal's dark theme: no white boxes on a dark page."""
import pytest

from db.models import Role
from portal import ids
from tests.portal.conftest import screenshot, sign_in
from tests.portal.test_tasks_table_theme_browser import luminance, switch_to

pytestmark = pytest.mark.live


def background(page, selector: str) -> float:
    """The luminance of the element's own background (a transparent one would read as black: it fails instead)."""
    colour = page.locator(selector).first.evaluate("element => getComputedStyle(element).backgroundColor")
    assert colour.startswith("rgb(") or not colour.rstrip(")").endswith(", 0"), (selector, colour)
    return luminance(colour)


def text(page, selector: str) -> float:
    return luminance(page.locator(selector).first.evaluate("element => getComputedStyle(element).color"))


def test_the_task_tables_dropdown_is_dark_with_the_portal(page, live_server, portal_user):
    page.emulate_media(color_scheme="light")
    sign_in(page, live_server.url, portal_user(Role.MANAGER), next_path="/tasks")
    control = f"#{ids.TASKS_BULK_VALUE}.dash-dropdown"
    page.wait_for_selector(control)
    switch_to(page, "light")
    assert background(page, control) > 0.8

    switch_to(page, "dark")
    assert background(page, control) < 0.1
    page.select_option(f"#{ids.TASKS_BULK_FIELD}", "priority")
    page.click(control)
    page.locator(".dash-dropdown-content [role=option]", has_text="Critical").wait_for()
    # The open list too: a dark panel, light option text, a dark search box.
    assert background(page, ".dash-dropdown-content") < 0.1
    assert text(page, ".dash-dropdown-content [role=option]") > 0.5
    assert background(page, ".dash-dropdown-search-container") < 0.1
    screenshot(page, "tasks-dropdown-dark")


def test_the_analytics_filters_are_dark_with_the_portal(page, live_server, portal_user):
    page.emulate_media(color_scheme="dark")
    sign_in(page, live_server.url, portal_user(Role.MANAGER), next_path="/analytics")
    page.wait_for_selector("#analytics-priority.dash-dropdown")
    switch_to(page, "dark")
    for name in ("department", "assignee", "priority"):
        assert background(page, f"#analytics-{name}.dash-dropdown") < 0.1, name
        # The placeholder is the theme's secondary text, readable on it.
        assert text(page, f"#analytics-{name} .dash-dropdown-placeholder") > 0.3, name
    assert background(page, ".dash-datepicker:has(#analytics-dates)") < 0.1
    page.click("#analytics-dates")
    page.wait_for_selector(".dash-datepicker-content")
    assert background(page, ".dash-datepicker-content") < 0.1
    assert text(page, ".dash-datepicker-calendar td.dash-datepicker-calendar-date-inside") > 0.5
    page.keyboard.press("Escape")

    # Back in the light theme, Dash's own light colours return.
    switch_to(page, "light")
    assert background(page, "#analytics-priority.dash-dropdown") > 0.8
