"""The portal in a real browser: sign-in per role, the session guard, the shell, text stays text."""
import json

import pytest
import requests

from db.models import Priority, Role
from tests.portal.conftest import screenshot, sign_in
from workflow import tasks

pytestmark = pytest.mark.live


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_each_role_signs_in_and_sees_its_name_and_role(page, live_server, portal_user, role):
    user = portal_user(role, full_name=f"Pat {role.value}")
    sign_in(page, live_server.url, user)
    page.wait_for_selector("#home-tasks")
    assert page.inner_text("#nav-user") == f"Pat {role.value} · {role.value}"
    assert page.title() == "My work · Workflow Manager"


def test_anonymous_is_sent_to_sign_in_and_back_where_it_was_going(page, live_server, portal_user):
    user = portal_user(Role.AGENT)
    page.goto(f"{live_server.url}/?tab=mine")
    assert page.url.startswith(f"{live_server.url}/login?next=")
    screenshot(page, "login")
    page.fill("#username", user.username)
    page.fill("#password", "correct-horse-battery")
    page.click("button[type=submit]")
    page.wait_for_selector("#home-tasks")
    assert page.url == f"{live_server.url}/?tab=mine"


def test_wrong_password_says_so_and_open_redirects_are_refused(page, live_server, portal_user):
    user = portal_user(Role.AGENT)
    page.goto(f"{live_server.url}/login?next=https://evil.example/")
    page.fill("#username", user.username)
    page.fill("#password", "not-the-password")
    page.click("button[type=submit]")
    assert page.inner_text("#login-error") == "Wrong username or password."
    page.fill("#password", "correct-horse-battery")
    page.click("button[type=submit]")
    page.wait_for_selector("#home-tasks")
    assert page.url == f"{live_server.url}/"


def test_sign_out_ends_the_session(page, live_server, portal_user):
    sign_in(page, live_server.url, portal_user(Role.VIEWER))
    page.wait_for_selector("#home-tasks")
    page.click("text=Sign out")
    page.wait_for_url(f"{live_server.url}/login")
    page.goto(f"{live_server.url}/")
    assert "/login?next=" in page.url


def test_callbacks_refuse_anonymous_and_forged_requests(live_server):
    """Dash's endpoints answer 401 without a session, whatever the request claims."""
    forged = {"output": "bell-count.children", "outputs": {"id": "bell-count", "property": "children"},
              "inputs": [{"id": "bell-interval", "property": "n_intervals", "value": 1}], "changedPropIds": []}
    for path in ("/_dash-update-component", "/_dash-layout", "/_dash-dependencies"):
        response = requests.request(
            "POST" if "update" in path else "GET", f"{live_server.url}{path}",
            data=json.dumps(forged), headers={"Content-Type": "application/json"}, timeout=10,
        )
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "unauthorized"


def test_user_text_is_rendered_as_text(page, live_server, portal_user):
    agent = portal_user(Role.AGENT)
    title = "<img src=x onerror=alert(1)> & <b>bold</b>"
    with live_server.app.app_context():
        tasks.create_task(actor=agent, title=title, priority=Priority.HIGH, assigned_to=agent.id, tags=["<script>x</script>"])
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, live_server.url, agent)
    page.wait_for_selector("#home-tasks")
    assert title in page.inner_text("#home-tasks")
    assert page.inner_text("#home-counts").split() == ["New", "1", "In", "Progress", "0", "On", "Hold", "0"]
    assert page.locator("#home-tasks img").count() == 0
    assert page.locator("#home-tasks b").count() == 0
    page.wait_for_timeout(300)
    assert dialogs == []
    screenshot(page, "my-work")


def test_bell_shows_unread_count(page, live_server, portal_user):
    from db import session
    from db.models import Notification, NotificationType
    from db.types import uuid7

    agent = portal_user(Role.AGENT)
    with live_server.app.app_context():
        for n in range(3):
            session.add(Notification(id=uuid7(), user_id=agent.id, content=f"Note {n}", type=NotificationType.COMMENT))
        session.commit()
    sign_in(page, live_server.url, agent)
    page.wait_for_selector("#home-tasks")
    page.wait_for_function("document.getElementById('bell-count').innerText === '3'")


def test_theme_toggle_is_remembered(page, live_server, portal_user):
    sign_in(page, live_server.url, portal_user(Role.MANAGER))
    page.wait_for_selector("#home-tasks")
    first = page.evaluate("document.documentElement.getAttribute('data-bs-theme')")
    page.click("#theme-toggle")
    flipped = "dark" if first == "light" else "light"
    page.wait_for_function(f"document.documentElement.getAttribute('data-bs-theme') === '{flipped}'")
    page.reload()
    page.wait_for_selector("#home-tasks")
    page.wait_for_function(f"document.documentElement.getAttribute('data-bs-theme') === '{flipped}'")
