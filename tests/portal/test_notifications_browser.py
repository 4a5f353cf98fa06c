"""The notifications and preferences pages in a real browser: list, filter, mark read, settings."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from db import session
from db.models import Notification, NotificationType, Role
from db.types import utcnow, uuid7
from notifications import preferences
from tests.portal.conftest import screenshot, sign_in
from workflow import notifications as notices
from workflow import tasks

pytestmark = pytest.mark.live


@pytest.fixture
def inbox(live_server, portal_user):
    """An agent with three notifications (one read, one about a task) and a manager with one of their own."""
    agent, manager = portal_user(Role.AGENT), portal_user(Role.MANAGER)
    now = utcnow()
    with live_server.app.app_context():
        task = tasks.create_task(actor=manager, title="Patch the mail server")
        rows = [
            Notification(id=uuid7(), user_id=agent.id, content="Oldest, already read", type=NotificationType.STATUS_CHANGE,
                         read=True, created_at=now - timedelta(hours=3)),
            Notification(id=uuid7(), user_id=agent.id, content="You were assigned <b>a task</b>", type=NotificationType.TASK_ASSIGNMENT,
                         related_task_id=task.id, created_at=now - timedelta(hours=2)),
            Notification(id=uuid7(), user_id=agent.id, content="Newest comment", type=NotificationType.COMMENT,
                         created_at=now - timedelta(hours=1)),
            Notification(id=uuid7(), user_id=manager.id, content="For the manager only", type=NotificationType.COMMENT, created_at=now),
        ]
        session.add_all(rows)
        session.commit()
    return agent, task, rows


def _read_flags(live_server, user) -> dict[str, bool]:
    with live_server.app.app_context():
        return {n.content: n.read for n in session.scalars(select(Notification).where(Notification.user_id == user.id))}


def _contents(page) -> list[str]:
    return [text.split("\n")[0] for text in page.locator("#notifications-list .notification-item .text-break").all_inner_texts()]


def test_list_filter_and_mark_read(page, live_server, inbox):
    agent, task, rows = inbox
    sign_in(page, live_server.url, agent, next_path="/notifications")
    page.wait_for_selector("#notifications-list .notification-item")
    assert _contents(page) == ["Newest comment", "You were assigned <b>a task</b>", "Oldest, already read"]
    assert "For the manager only" not in page.inner_text("#notifications-list")
    assert page.locator("#notifications-list b").count() == 0
    assert page.get_attribute("#notifications-list a:text-is('You were assigned <b>a task</b>')", "href") == f"/tasks/{task.id}"
    assert page.locator(".notification-unread").count() == 2
    assert page.get_attribute("a[href='/preferences']", "href") == "/preferences"
    page.wait_for_function("document.getElementById('bell-count').innerText === '2'")
    screenshot(page, "notifications")

    page.click("#notifications-unread")
    page.wait_for_function("document.querySelectorAll('#notifications-list .notification-item').length === 2")
    assert _contents(page) == ["Newest comment", "You were assigned <b>a task</b>"]

    page.click(f"[data-id='{rows[2].id}'] button:text-is('Mark read')")
    page.wait_for_function("document.querySelectorAll('#notifications-list .notification-item').length === 1")
    assert _contents(page) == ["You were assigned <b>a task</b>"]
    assert _read_flags(live_server, agent)["Newest comment"] is True
    page.wait_for_function("document.getElementById('bell-count').innerText === '1'")

    page.click("#notifications-unread")
    page.wait_for_function("document.querySelectorAll('#notifications-list .notification-item').length === 3")
    page.click("#notifications-mark-all")
    page.wait_for_selector("#notifications-message :text('Marked 1 read.')")
    assert page.locator(".notification-unread").count() == 0
    assert page.locator("#notifications-list button:text-is('Mark read')").count() == 0
    assert set(_read_flags(live_server, agent).values()) == {True}
    page.wait_for_function("document.getElementById('bell-count').innerText === ''")
    with live_server.app.app_context():
        assert session.get(Notification, rows[3].id).read is False


def test_more_pages_on_with_the_cursor(page, live_server, portal_user):
    agent = portal_user(Role.AGENT)
    now = utcnow()
    with live_server.app.app_context():
        session.add_all(
            Notification(id=uuid7(), user_id=agent.id, content=f"Note {n:02d}", type=NotificationType.DUE_DATE,
                         created_at=now - timedelta(minutes=n))
            for n in range(55)
        )
        session.commit()
    sign_in(page, live_server.url, agent, next_path="/notifications")
    page.wait_for_selector("#notifications-list .notification-item")
    assert page.locator("#notifications-list .notification-item").count() == 50
    page.click("#notifications-more")
    page.wait_for_function("document.querySelectorAll('#notifications-list .notification-item').length === 55")
    assert _contents(page) == [f"Note {n:02d}" for n in range(55)]
    assert not page.is_visible("#notifications-more")


def test_preferences_are_saved(page, live_server, portal_user, monkeypatch):
    agent = portal_user(Role.AGENT)
    # Preferences offer only the channels the server can deliver: this one says it sends both.
    monkeypatch.setitem(live_server.app.config, "SMTP_URL", "smtp://127.0.0.1:9")
    monkeypatch.setitem(live_server.app.config, "SMS_ENABLED", True)
    with live_server.app.app_context():
        # The shared server's defaults are whatever its Admins (and the API fuzzing) left.
        notices.update_defaults(actor=portal_user(Role.ADMIN), changes={
            NotificationType.TASK_ASSIGNMENT: {"in_app": True, "email": True, "sms": False},
            NotificationType.COMMENT: {"in_app": True, "email": False, "sms": False},
        })
    sign_in(page, live_server.url, agent, next_path="/preferences")
    switch = page.get_by_label("Comment by SMS")
    switch.wait_for()
    assert page.get_by_label("Task Assignment by Email").is_checked()
    assert not switch.is_checked()
    switch.check()
    page.click("#preferences-save")
    page.wait_for_selector("#preferences-message :text('Saved.')")
    screenshot(page, "preferences")
    page.reload()
    page.get_by_label("Comment by SMS").wait_for()
    assert page.get_by_label("Comment by SMS").is_checked()
    with live_server.app.app_context():
        settings = preferences.get_settings(user=agent)
    assert settings["Comment"] == {"in_app": True, "email": False, "sms": True}
    assert settings["Task Assignment"] == {"in_app": True, "email": True, "sms": False}


def _poll_ms(live_server) -> int:
    """One poll interval of the bell, plus time for the round trip."""
    return (live_server.app.config["PORTAL_POLL_SECONDS"] + 3) * 1000


def test_bell_dropdown_shows_a_new_assignment_and_marks_all_read(page, live_server, portal_user):
    manager, agent = portal_user(Role.MANAGER, full_name="Alice Manager"), portal_user(Role.AGENT)
    sign_in(page, live_server.url, agent)
    page.wait_for_selector("#home-tasks")
    assert page.inner_text("#bell-count") == ""
    with live_server.app.app_context():
        task = tasks.create_task(actor=manager, title="Fix printer <b>now</b>")
        tasks.update_task(actor=manager, task_id=task.id, changes={"assigned_to": agent.id})
    page.wait_for_function("document.getElementById('bell-count').innerText === '1'", timeout=_poll_ms(live_server))

    page.click("#bell-toggle")
    page.wait_for_selector("#bell-list .bell-item")
    assert page.get_attribute("#bell-toggle", "aria-expanded") == "true"
    item = page.locator("#bell-list .bell-item").first
    assert "Alice Manager assigned you 'Fix printer <b>now</b>'" in item.inner_text()
    assert "Task Assignment · just now" in item.inner_text()
    assert page.locator("#bell-list b").count() == 0
    assert item.get_attribute("href") == f"/tasks/{task.id}"
    assert page.locator("#bell-list .bell-unread").count() == 1
    screenshot(page, "bell-dropdown")

    page.click("#bell-mark-all")
    page.wait_for_function("document.getElementById('bell-count').innerText === ''")
    page.wait_for_function("document.querySelectorAll('#bell-list .bell-unread').length === 0")
    assert page.locator("#bell-list .bell-read").count() == 1
    with live_server.app.app_context():
        assert session.scalars(select(Notification.read).where(Notification.user_id == agent.id)).all() == [True]


def test_bell_dropdown_by_keyboard_and_its_links(page, live_server, portal_user):
    agent = portal_user(Role.AGENT)
    now = utcnow()
    with live_server.app.app_context():
        task = tasks.create_task(actor=agent, title="Keyboard task")
        session.add_all(
            Notification(id=uuid7(), user_id=agent.id, content=f"Note {n:02d}", type=NotificationType.COMMENT,
                         related_task_id=task.id if n == 0 else None, created_at=now - timedelta(hours=n))
            for n in range(10)
        )
        session.commit()
    sign_in(page, live_server.url, agent)
    page.wait_for_selector("#home-tasks")
    page.wait_for_function("document.getElementById('bell-count').innerText === '10'")
    assert not page.is_visible("#bell-menu")

    page.focus("#bell-toggle")
    page.keyboard.press("Enter")
    page.wait_for_selector("#bell-list .bell-item")
    assert page.locator("#bell-list .bell-item").count() == 8
    second = page.locator("#bell-list .bell-item").all_inner_texts()[1]
    assert "Note 01" in second and "Comment · 1 h ago" in second
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "bell-mark-all"
    page.keyboard.press("Escape")
    page.wait_for_selector("#bell-menu", state="hidden")
    assert page.evaluate("document.activeElement.id") == "bell-toggle"
    assert page.get_attribute("#bell-toggle", "aria-expanded") == "false"

    page.keyboard.press("Enter")
    page.wait_for_selector("#bell-menu a:text-is('See all')")
    page.click("#bell-menu a:text-is('See all')")
    page.wait_for_url(f"{live_server.url}/notifications")
    page.wait_for_selector("#notifications-list .notification-item")
    page.wait_for_selector("#bell-menu", state="hidden")

    page.click("#bell-toggle")
    page.click("#bell-list .bell-item >> nth=0")
    page.wait_for_url(f"{live_server.url}/tasks/{task.id}")
    page.wait_for_selector("#bell-menu", state="hidden")
