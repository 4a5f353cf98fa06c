"""The task detail page in a real browser: edit, move, comment, stale edits, viewers, not found."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from db import session
from db.models import ChangeType, Priority, Role, TaskComment, TaskHistory, TaskStatus
from db.types import utcnow
from tests.portal.conftest import screenshot, sign_in
from workflow import comments, tasks

pytestmark = pytest.mark.live


def _history(live_server, task_id) -> list[TaskHistory]:
    with live_server.app.app_context():
        return list(session.scalars(select(TaskHistory).where(TaskHistory.task_id == task_id).order_by(TaskHistory.changed_at, TaskHistory.id)))


def _task(live_server, task_id):
    with live_server.app.app_context():
        return tasks.get_task(task_id=task_id)


def _open(page, live_server, user, task_id):
    sign_in(page, live_server.url, user, next_path=f"/tasks/{task_id}")
    page.wait_for_selector("#task-fields h1")


@pytest.fixture
def agent_task(live_server, portal_user):
    """An agent (Sam Carter) and a New task assigned to them."""
    agent = portal_user(Role.AGENT, full_name="Sam Carter")
    with live_server.app.app_context():
        task = tasks.create_task(
            actor=agent, title="Reset the VPN token", description="Line one\n  indented line two",
            priority=Priority.HIGH, assigned_to=agent.id, tags=["vpn", "access"],
        )
    return agent, task


def test_agent_edits_moves_and_sees_the_history(page, live_server, agent_task):
    agent, task = agent_task
    _open(page, live_server, agent, task.id)
    assert page.inner_text("#task-fields h1") == "Reset the VPN token"
    assert "Line one\n  indented line two" in page.inner_text("#task-fields")
    assert "Sam Carter" in page.inner_text("#task-fields")

    due = (utcnow() + timedelta(days=3)).replace(second=0, microsecond=0)
    page.fill("#task-title-input", "Reset the VPN token for Jo")
    page.fill("#task-due-input", due.strftime("%Y-%m-%d %H:%M"))
    page.click("#task-save")
    page.wait_for_selector("#task-fields h1:text-is('Reset the VPN token for Jo')")
    page.click("button:text-is('Move to In Progress')")
    page.wait_for_selector("#task-history li:has-text('Status: New → In Progress')")

    timeline = page.inner_text("#task-history")
    assert "Created" in timeline
    assert "Title: 'Reset the VPN token' → 'Reset the VPN token for Jo'" in timeline
    assert f"Due date: — → {due:%d %b %Y %H:%M} UTC" in timeline
    assert timeline.count("Sam Carter") == 3
    screenshot(page, "task-detail")

    rows = _history(live_server, task.id)
    assert [row.change_type for row in rows] == [ChangeType.CREATION, ChangeType.EDIT, ChangeType.STATUS_CHANGE]
    assert rows[1].new_value == {"title": "Reset the VPN token for Jo", "due_date": due.isoformat()}
    assert rows[2].new_value == {"status": "In Progress"}
    saved = _task(live_server, task.id)
    assert (saved.status, saved.version) == (TaskStatus.IN_PROGRESS, 3)


def test_stale_edit_is_refused_and_nothing_written(page, live_server, agent_task):
    agent, task = agent_task
    _open(page, live_server, agent, task.id)
    with live_server.app.app_context():
        tasks.update_task(actor=agent, task_id=task.id, changes={"priority": Priority.LOW}, expected_version=1)
    page.fill("#task-title-input", "My stale title")
    page.click("#task-save")
    page.wait_for_selector("#task-message :text('This task was changed by someone else; reload to see the latest')")
    saved = _task(live_server, task.id)
    assert (saved.title, saved.priority, saved.version) == ("Reset the VPN token", Priority.LOW, 2)
    assert len(_history(live_server, task.id)) == 2


def test_empty_title_shows_an_inline_error_and_writes_nothing(page, live_server, agent_task):
    agent, task = agent_task
    _open(page, live_server, agent, task.id)
    page.fill("#task-title-input", "   ")
    page.click("#task-save")
    page.wait_for_selector("#task-title-input-error:text-is('Required.')")
    assert page.is_visible("#task-title-input-error")
    assert "is-invalid" in page.get_attribute("#task-title-input", "class")
    assert _task(live_server, task.id).version == 1
    assert len(_history(live_server, task.id)) == 1


def test_viewer_sees_everything_read_only(page, live_server, portal_user, agent_task):
    _agent, task = agent_task
    viewer = portal_user(Role.VIEWER)
    _open(page, live_server, viewer, task.id)
    assert "Reset the VPN token" in page.inner_text("#task-fields")
    assert page.locator("#task-history li").count() == 1
    for control in ("#task-form", "#task-save", "#task-comment-input", "#task-comment-add", "button:has-text('Move to')"):
        assert page.locator(control).count() == 0, control


def test_comment_text_stays_text_and_mentions_are_highlighted(page, live_server, portal_user, agent_task):
    agent, task = agent_task
    manager = portal_user(Role.MANAGER)
    with live_server.app.app_context():
        comments.add_comment(actor=manager, task_id=task.id, body="First, from the manager")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    _open(page, live_server, agent, task.id)
    body = f"<img src=x onerror=alert(1)> ask @{manager.username}\nsecond line"
    page.fill("#task-comment-input", body)
    page.click("#task-comment-add")
    page.wait_for_selector(f"#task-comments .mention:text-is('@{manager.username}')")
    bodies = page.locator("#task-comments .comment-body")
    assert bodies.nth(0).inner_text() == "First, from the manager"
    assert bodies.nth(1).inner_text() == body
    assert "Sam Carter" in page.inner_text("#task-comments")
    assert page.locator("#task-comments img").count() == 0
    assert page.input_value("#task-comment-input") == ""
    page.wait_for_timeout(300)
    assert dialogs == []
    with live_server.app.app_context():
        assert session.scalars(select(TaskComment.body).where(TaskComment.task_id == task.id)).all()[-1] == body


@pytest.mark.parametrize("task_id", ["0193e0a0-0000-7000-8000-000000000000", "not-a-uuid", "deleted"])
def test_unknown_malformed_or_deleted_task_is_not_found(page, live_server, portal_user, task_id):
    manager = portal_user(Role.MANAGER)
    if task_id == "deleted":
        with live_server.app.app_context():
            task = tasks.create_task(actor=manager, title="Gone soon")
            tasks.delete_task(actor=manager, task_id=task.id)
        task_id = task.id
    sign_in(page, live_server.url, manager, next_path=f"/tasks/{task_id}")
    page.wait_for_selector("#task-not-found")
    assert "Task not found" in page.inner_text("#task-not-found")


def test_manager_assigns_and_the_timeline_names_the_assignee(page, live_server, portal_user):
    manager = portal_user(Role.MANAGER)
    agent = portal_user(Role.AGENT)
    with live_server.app.app_context():
        task = tasks.create_task(actor=manager, title="Unassigned printer jam")
    _open(page, live_server, manager, task.id)
    page.select_option("#task-assignee-input", value=str(agent.id))
    page.click("#task-save")
    page.wait_for_selector(f"#task-history li:has-text('Assigned to: — → {agent.full_name}')")
    assert _task(live_server, task.id).assigned_to == agent.id
    assert [row.change_type for row in _history(live_server, task.id)] == [ChangeType.CREATION, ChangeType.ASSIGNMENT]
