"""The profile page in a real browser: name, e-mail, phone and time zone saved through the workflow; the password
changed by the same rule as everywhere (the current one first)."""
from types import SimpleNamespace

import pytest

from db import session
from db.models import Role, User
from tests.conftest import PASSWORD
from tests.portal.conftest import VIEWPORTS, screenshot, sign_in

pytestmark = pytest.mark.live

NEW_PASSWORD = "a-profile-page-password"


def _stored(live_server, user) -> User:
    with live_server.app.app_context():
        found = session.get(User, user.id)
        session.expunge(found)
        return found


def test_the_profile_saves_the_phone_and_the_time_zone(page, live_server, portal_user):
    agent = portal_user(Role.AGENT)
    sign_in(page, live_server.url, agent, next_path="/profile")
    page.wait_for_selector("#profile-save")
    assert page.input_value("#profile-email") == agent.email
    # Unset, or already the browser's (this Chromium runs in UTC): the shell keeps it on first sign-in.
    assert "UTC" in page.inner_text("#profile-time-zone")

    page.fill("#profile-phone", "12345")
    page.click("#profile-save")
    page.wait_for_selector("#profile-message .alert-danger")
    assert page.inner_text("#profile-phone-error") == "Enter the number with its country code, e.g. +447700900123."
    assert _stored(live_server, agent).phone is None

    # Other refusals are the one formatter's sentences, under their field.
    page.fill("#profile-full-name", "")
    page.click("#profile-save")
    page.wait_for_selector("#profile-full-name.is-invalid")
    assert page.inner_text("#profile-full-name-error") == "The full name is required."
    page.fill("#profile-full-name", agent.full_name)

    page.fill("#profile-phone", "+12125550123")
    page.click("#profile-time-zone")
    # Into the search box: with a zone already chosen, the list's focus sits on that option.
    page.fill(".dash-dropdown-content input.dash-dropdown-search", "New York")
    page.locator(".dash-dropdown-content [role=option]", has_text="America/New York").first.click()
    page.click("#profile-save")
    page.wait_for_selector("#profile-message .alert-success")
    assert page.inner_text("#profile-message") == "Saved. Times show in New York time."
    stored = _stored(live_server, agent)
    assert (stored.phone, stored.time_zone) == ("+12125550123", "America/New_York")

    page.reload()
    page.wait_for_selector("#profile-save")
    assert "America/New York" in page.inner_text("#profile-time-zone")
    assert "New York time." in page.locator(".form-text", has_text="Your clock now").inner_text()
    screenshot(page, "profile")


def test_the_password_changes_only_with_the_current_one(browser, page, live_server, portal_user):
    agent = portal_user(Role.VIEWER)
    sign_in(page, live_server.url, agent, next_path="/profile")
    page.wait_for_selector("#profile-password-save")

    page.fill("#profile-current-password", "not-the-password")
    page.fill("#profile-new-password", NEW_PASSWORD)
    page.click("#profile-password-save")
    page.wait_for_selector("#profile-password-message .alert-danger")
    assert page.inner_text("#profile-password-message") == "The current password is wrong: nothing was changed."

    page.fill("#profile-current-password", PASSWORD)
    page.fill("#profile-new-password", "short")
    page.click("#profile-password-save")
    # The previous refusal is still shown until the answer replaces it.
    page.wait_for_selector("#profile-password-message .alert-danger >> text=Choose a new password of at least 10 characters.")

    page.fill("#profile-current-password", PASSWORD)
    page.fill("#profile-new-password", NEW_PASSWORD)
    page.click("#profile-password-save")
    page.wait_for_selector("#profile-password-message .alert-success")
    page.reload()
    page.wait_for_selector("#profile-password-save")  # this browser stays signed in

    other = browser.new_context(viewport=VIEWPORTS["desktop"])
    other.set_default_timeout(15_000)
    try:
        fresh = other.new_page()
        sign_in(fresh, live_server.url, SimpleNamespace(username=agent.username), password=NEW_PASSWORD)
        fresh.wait_for_selector("#nav-user", state="attached")
    finally:
        other.close()
