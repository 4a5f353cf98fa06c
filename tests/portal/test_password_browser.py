"""Changing your own password in the portal, on the profile (its one form): the current one first; this browser stays
signed in, every other session ends. Preferences only link there."""
import re
from types import SimpleNamespace

import pytest

from db.models import Role
from tests.conftest import PASSWORD
from tests.portal.conftest import VIEWPORTS, sign_in

pytestmark = pytest.mark.live

NEW_PASSWORD = "a-fresh-portal-password"


def test_changing_your_password_keeps_this_browser_and_ends_the_others(browser, page, live_server, portal_user):
    agent = portal_user(Role.AGENT)
    other_context = browser.new_context(viewport=VIEWPORTS["desktop"])
    other_context.set_default_timeout(15_000)
    other = other_context.new_page()
    try:
        sign_in(other, live_server.url, agent)
        other.wait_for_selector("#nav-user", state="attached")
        sign_in(page, live_server.url, agent, next_path="/preferences")
        # Preferences hold no password form of their own: a link to the profile's.
        page.wait_for_selector("#preferences-password-link")
        assert page.locator("input[type=password]").count() == 0
        assert page.inner_text("#preferences-password-link") == "Change your password on your profile"
        page.click("#preferences-password-link")
        page.wait_for_selector("#profile-password-save")
        assert page.url == f"{live_server.url}/profile"

        page.fill("#profile-current-password", "not-the-password")
        page.fill("#profile-new-password", NEW_PASSWORD)
        page.click("#profile-password-save")
        page.wait_for_selector("#profile-password-message .alert-danger")
        assert "current password is wrong" in page.inner_text("#profile-password-message")

        page.fill("#profile-current-password", PASSWORD)
        page.fill("#profile-new-password", NEW_PASSWORD)
        page.click("#profile-password-save")
        page.wait_for_selector("#profile-password-message .alert-success")
        assert page.input_value("#profile-new-password") == ""

        page.reload()
        page.wait_for_selector("#profile-password-save")  # still signed in here
        other.reload()
        other.wait_for_url(re.compile(r".*/login\?next=.*"))  # signed out there
        sign_in(other, live_server.url, SimpleNamespace(username=agent.username), password=NEW_PASSWORD)
        other.wait_for_selector("#nav-user", state="attached")
    finally:
        other_context.close()
