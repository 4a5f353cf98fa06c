"""The new task page in a real browser: create, inline errors, past due dates, due dates on the user's clock, viewers."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from db import session
from db.models import ChangeType, Priority, Role, Task, TaskHistory
from db.types import utcnow
from tests.portal.conftest import screenshot, sign_in
from workflow import users

pytestmark = pytest.mark.live


def _tasks_by(live_server, user) -> list[Task]:
    with live_server.app.app_context():
        return list(session.scalars(select(Task).where(Task.created_by == user.id)))


def _open(page, live_server, user):
    sign_in(page, live_server.url, user, next_path="/new-task")
    page.wait_for_selector("#new-task-form")


def test_agent_creates_a_task_and_lands_on_it(page, live_server, portal_user):
    agent = portal_user(Role.AGENT, full_name="Ada Byrne")
    portal_user(Role.VIEWER, full_name="Vic Viewer")
    _open(page, live_server, agent)
    assignees = [text for text in page.locator("#new-task-assignee option").all_inner_texts() if text]
    assert assignees == ["Unassigned", "Ada Byrne (me)"]
    due = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    page.fill("#new-task-title", "Order a <b>new</b> laptop")
    page.fill("#new-task-description", "For the new starter\nby Monday")
    page.select_option("#new-task-priority", "High")
    page.fill("#new-task-due", due.strftime("%Y-%m-%d %H:%M"))
    page.select_option("#new-task-assignee", str(agent.id))
    page.fill("#new-task-tags", "hardware, onboarding")
    screenshot(page, "new-task")
    page.click("#new-task-create")
    page.wait_for_url(f"{live_server.url}/tasks/*")
    page.wait_for_selector("#task-fields h1")
    assert page.inner_text("#task-fields h1") == "Order a <b>new</b> laptop"

    [task] = _tasks_by(live_server, agent)
    assert page.url == f"{live_server.url}/tasks/{task.id}"
    assert (task.priority, task.due_date, task.assigned_to, task.tags) == (Priority.HIGH, due, agent.id, ["hardware", "onboarding"])
    assert task.description == "For the new starter\nby Monday"
    with live_server.app.app_context():
        rows = list(session.scalars(select(TaskHistory).where(TaskHistory.task_id == task.id)))
    assert [(row.change_type, row.changed_by) for row in rows] == [(ChangeType.CREATION, agent.id)]


def test_empty_title_shows_an_inline_error_and_writes_nothing(page, live_server, portal_user):
    agent = portal_user(Role.AGENT)
    _open(page, live_server, agent)
    page.fill("#new-task-title", "   ")
    page.fill("#new-task-due", "tomorrow")
    page.click("#new-task-create")
    page.wait_for_selector("#new-task-title-error:text-is('The title is required.')")
    assert "is-invalid" in page.get_attribute("#new-task-title", "class")
    assert page.inner_text("#new-task-due-error") == "The due date is not a valid date. Enter a date and time as YYYY-MM-DD HH:MM, UTC."
    assert page.url == f"{live_server.url}/new-task"
    assert _tasks_by(live_server, agent) == []


def test_past_due_date_is_refused_and_nothing_written(page, live_server, portal_user):
    manager = portal_user(Role.MANAGER)
    _open(page, live_server, manager)
    page.fill("#new-task-title", "Too late")
    page.fill("#new-task-due", (utcnow() - timedelta(days=1)).strftime("%Y-%m-%d %H:%M"))
    page.click("#new-task-create")
    page.wait_for_selector("#new-task-message :text('The due date must not be in the past.')")
    assert page.inner_text("#new-task-due-error") == "The due date must not be in the past."
    assert page.url == f"{live_server.url}/new-task"
    assert _tasks_by(live_server, manager) == []


def test_viewer_sees_no_form(page, live_server, portal_user):
    viewer = portal_user(Role.VIEWER)
    sign_in(page, live_server.url, viewer, next_path="/new-task")
    page.wait_for_selector("#new-task-denied:text('Viewers cannot create tasks')")
    assert page.locator("#new-task-form").count() == 0
    assert page.locator("#new-task-create").count() == 0


def test_new_york_manager_types_the_due_date_on_their_clock(page, live_server, portal_user):
    manager = portal_user(Role.MANAGER)
    with live_server.app.app_context():
        users.update_user(actor=manager, user_id=manager.id, changes={"time_zone": "America/New_York"})
    _open(page, live_server, manager)
    assert "New York time" in page.inner_text("label[for=new-task-due]")
    page.fill("#new-task-title", "Renew the certificates")
    page.fill("#new-task-due", "2031-01-15 09:00")
    page.click("#new-task-create")
    page.wait_for_url(f"{live_server.url}/tasks/*")
    [task] = _tasks_by(live_server, manager)
    assert task.due_date == datetime(2031, 1, 15, 14, 0, tzinfo=timezone.utc)  # EST: UTC-5
