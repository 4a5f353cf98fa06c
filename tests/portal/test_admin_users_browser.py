"""User administration in a real browser: create, conflicts, inline errors, role change, deactivation, who may see it,
last logins on the Admin's clock."""
import re
import uuid
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from db import session
from db.models import Role, User
from portal.components import times
from tests.portal.conftest import VIEWPORTS, screenshot, sign_in
from workflow import users

pytestmark = pytest.mark.live

NEW_PASSWORD = "a-long-new-password"


def open_admin_page(page, live_server, admin):
    sign_in(page, live_server.url, admin, next_path="/admin/users")
    page.wait_for_selector("#admin-users-list")


def find_row(page, username: str):
    """Search the list for one username and return its row."""
    page.fill("#admin-users-q", username)
    page.wait_for_function("document.querySelectorAll('#admin-users-list tr').length === 1")
    return page.locator("#admin-users-list tr")


def fill_create_form(page, username, email, full_name, phone="", role=Role.AGENT):
    page.fill("#admin-users-new-username", username)
    page.fill("#admin-users-new-email", email)
    page.fill("#admin-users-new-full-name", full_name)
    page.select_option("#admin-users-new-role", role.value)
    page.fill("#admin-users-new-department", "Service desk")
    page.fill("#admin-users-new-phone", phone)
    page.fill("#admin-users-new-password", NEW_PASSWORD)
    page.click("#admin-users-create")


def count_users(live_server, **where) -> int:
    with live_server.app.app_context():
        return session.scalar(select(func.count()).select_from(User).filter_by(**where))


def test_admin_creates_a_user_who_can_sign_in(page, live_server, portal_user):
    admin = portal_user(Role.ADMIN)
    username = f"new_{uuid.uuid4().hex[:6]}"
    full_name = "<img src=x onerror=alert(1)> & <b>Bold</b>"
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_admin_page(page, live_server, admin)
    assert page.locator("nav a[href='/admin/users']").count() == 1

    fill_create_form(page, username, f"{username}@example.com", full_name, phone="07700 900123")
    page.wait_for_selector("#admin-users-new-phone.is-invalid")
    assert "E.164" in page.inner_text("#admin-users-new-phone-error")
    assert count_users(live_server, username=username) == 0

    page.fill("#admin-users-new-phone", "+447700900123")
    page.click("#admin-users-create")
    page.wait_for_selector("#admin-users-create-message .alert-success")
    assert page.input_value("#admin-users-new-username") == ""
    row = find_row(page, username)
    assert full_name in row.inner_text() and "Agent" in row.inner_text() and "Active" in row.inner_text()
    assert page.locator("#admin-users-list img, #admin-users-list b").count() == 0
    with live_server.app.app_context():
        created = session.scalars(select(User).filter_by(username=username)).one()
        assert (created.role, created.phone, created.department, created.is_active) == (Role.AGENT, "+447700900123", "Service desk", True)

    fill_create_form(page, username, f"other_{username}@example.com", "Someone else")
    page.wait_for_selector("#admin-users-new-username.is-invalid")
    assert page.inner_text("#admin-users-new-username-error") == "A user with this username already exists."
    assert count_users(live_server, email=f"other_{username}@example.com") == 0
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "admin-users")
    assert dialogs == []

    page.context.clear_cookies()
    sign_in(page, live_server.url, SimpleNamespace(username=username), password=NEW_PASSWORD)
    page.wait_for_selector("#nav-user")
    assert full_name in page.inner_text("#nav-user")
    assert page.locator("nav a[href='/admin/users']").count() == 0


def test_admin_changes_a_role_and_deactivates_a_user(browser, page, live_server, portal_user):
    admin, agent = portal_user(Role.ADMIN), portal_user(Role.AGENT)
    agent_context = browser.new_context(viewport=VIEWPORTS["phone"])
    agent_context.set_default_timeout(15_000)
    agent_page = agent_context.new_page()
    try:
        sign_in(agent_page, live_server.url, agent)
        agent_page.wait_for_selector("#nav-user", state="attached")

        open_admin_page(page, live_server, admin)
        find_row(page, agent.username).locator("button:has-text('Edit')").click()
        page.wait_for_selector("#admin-user-role", state="visible")
        assert page.input_value("#admin-user-full-name") == agent.full_name
        page.select_option("#admin-user-role", Role.MANAGER.value)
        page.click("#admin-user-save")
        page.wait_for_selector("#admin-users-message .alert-success")
        page.wait_for_selector("#admin-user-role", state="hidden")
        with live_server.app.app_context():
            assert users.get_user(user_id=agent.id).role == Role.MANAGER
        page.wait_for_selector(f"#admin-users-list tr[data-user-id='{agent.id}'] td:has-text('Manager')")

        page.locator(f"#admin-users-list tr[data-user-id='{agent.id}'] button").click()
        page.wait_for_selector("#admin-user-active", state="visible")
        page.uncheck("#admin-user-active")
        page.click("#admin-user-save")
        page.wait_for_selector(f"#admin-users-list tr[data-user-id='{agent.id}'] :text('Inactive')")
        with live_server.app.app_context():
            deactivated = users.get_user(user_id=agent.id)
            assert (deactivated.is_active, deactivated.role) == (False, Role.MANAGER)

        agent_page.reload()
        agent_page.wait_for_url(re.compile(r".*/login\?next=.*"))
        sign_in(agent_page, live_server.url, agent)
        agent_page.wait_for_selector("#login-error")
        assert "/login" in agent_page.url

        find_row(page, admin.username).locator("button").click()
        page.wait_for_selector("#admin-user-active", state="visible")
        page.uncheck("#admin-user-active")
        page.click("#admin-user-save")
        page.wait_for_selector("#admin-user-message .alert-danger")
        assert "You cannot deactivate yourself" in page.inner_text("#admin-user-message")
        with live_server.app.app_context():
            assert users.get_user(user_id=admin.id).is_active
    finally:
        agent_context.close()


@pytest.mark.parametrize("role", [Role.MANAGER, Role.AGENT])
def test_only_admins_see_user_administration(page, live_server, portal_user, role):
    sign_in(page, live_server.url, portal_user(role), next_path="/admin/users")
    page.wait_for_selector("#admin-users-denied")
    assert "Only admins manage users" in page.inner_text("#admin-users-denied")
    assert page.locator("#admin-users-list, #admin-users-create, #admin-users-new-username, #admin-user-editor").count() == 0
    assert page.locator("nav a[href='/admin/users']").count() == 0


def test_admin_resets_a_password_and_signs_a_user_out_everywhere(browser, page, live_server, portal_user):
    admin, agent = portal_user(Role.ADMIN), portal_user(Role.AGENT)
    agent_context = browser.new_context(viewport=VIEWPORTS["desktop"])
    agent_context.set_default_timeout(15_000)
    agent_page = agent_context.new_page()
    try:
        sign_in(agent_page, live_server.url, agent)
        agent_page.wait_for_selector("#nav-user", state="attached")

        open_admin_page(page, live_server, admin)
        find_row(page, agent.username).locator("button:has-text('Edit')").click()
        page.wait_for_selector("#admin-user-sign-out", state="visible")
        page.click("#admin-user-sign-out")
        page.wait_for_selector("#admin-user-message .alert-success")
        agent_page.reload()
        agent_page.wait_for_url(re.compile(r".*/login\?next=.*"))

        sign_in(agent_page, live_server.url, agent)
        agent_page.wait_for_selector("#nav-user", state="attached")
        page.fill("#admin-user-password", NEW_PASSWORD)
        page.click("#admin-user-save")
        page.wait_for_selector("#admin-users-message .alert-success")
        with live_server.app.app_context():
            assert users.get_user(user_id=agent.id).password_changed_by == admin.id
        agent_page.reload()
        agent_page.wait_for_url(re.compile(r".*/login\?next=.*"))
        sign_in(agent_page, live_server.url, SimpleNamespace(username=agent.username), password=NEW_PASSWORD)
        agent_page.wait_for_selector("#nav-user", state="attached")
    finally:
        agent_context.close()


def test_last_logins_are_on_the_admins_clock_in_the_portals_format(page, live_server, portal_user):
    admin, agent, newcomer = portal_user(Role.ADMIN), portal_user(Role.AGENT), portal_user(Role.VIEWER)
    signed_in = datetime(2026, 3, 8, 12, 0, tzinfo=timezone.utc)
    with live_server.app.app_context():
        users.update_user(actor=admin, user_id=admin.id, changes={"time_zone": "America/New_York"})
        session.get(User, agent.id).last_login = signed_in
        session.commit()
    open_admin_page(page, live_server, admin)
    assert "New York time" in page.locator("#admin-users-list").locator("xpath=../thead").inner_text()

    shown = find_row(page, agent.username).locator("time")
    assert shown.inner_text() == times.moment(signed_in, SimpleNamespace(time_zone="America/New_York"))
    assert shown.inner_text().endswith(" 08:00")  # 12:00 UTC; New York's clocks went forward that morning
    assert shown.get_attribute("datetime") == "2026-03-08T12:00:00+00:00"
    page.fill("#admin-users-q", newcomer.username)
    never = page.locator(f"#admin-users-list tr[data-user-id='{newcomer.id}']")
    never.wait_for()
    assert "Never" in never.inner_text() and never.locator("time").count() == 0
