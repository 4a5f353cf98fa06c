"""The task board in a real browser: columns and counts, moves within the rules, refusals in sentences, paging, times on
the user's clock, text stays text."""
import json
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from db import session
from db.models import ChangeType, Priority, Role, Task, TaskHistory, TaskStatus
from db.types import utcnow
from portal.components import times
from tests.portal.conftest import screenshot, sign_in
from workflow import tasks, users

pytestmark = pytest.mark.live

MOVE = "select[id*='board-move']"


def column(page, status: TaskStatus):
    return page.locator(f"section[data-status='{status.value}']")


def card(page, task):
    return page.locator(f"[data-task-id='{task.id}']")


def count_of(page, status: TaskStatus) -> str:
    return column(page, status).locator(".board-count").inner_text()


def open_board(page, live_server, user, query: str = "?scope=mine"):
    sign_in(page, live_server.url, user, next_path=f"/board{query}")
    page.wait_for_selector("#board section[data-status='New']")


def create(live_server, actor, **fields):
    with live_server.app.app_context():
        return tasks.create_task(actor=actor, **fields)


def overdue_task(live_server, actor, **fields):
    """A task in progress whose due date has passed (set directly: the service refuses past due dates)."""
    with live_server.app.app_context():
        task = tasks.create_task(actor=actor, due_date=utcnow() + timedelta(days=1), **fields)
        tasks.change_status(actor=actor, task_id=task.id, status=TaskStatus.IN_PROGRESS)
        session.get(Task, task.id).due_date = utcnow() - timedelta(days=2)
        session.commit()
        return task


def history_of(live_server, task):
    with live_server.app.app_context():
        return session.scalars(select(TaskHistory).where(TaskHistory.task_id == task.id).order_by(TaskHistory.changed_at, TaskHistory.id)).all()


def test_agent_moves_a_card_and_the_history_records_it(page, live_server, portal_user):
    agent = portal_user(Role.AGENT, full_name="Ada Agent")
    due = utcnow() + timedelta(days=3)
    task = create(live_server, agent, title="Renew the certificate", priority=Priority.HIGH, assigned_to=agent.id, tags=["ops"], due_date=due)
    late = overdue_task(live_server, agent, title="Call back the customer", priority=Priority.CRITICAL, assigned_to=agent.id)
    open_board(page, live_server, agent)
    assert page.title() == "Board · Workflow Manager"
    new_card = column(page, TaskStatus.NEW).locator(f"[data-task-id='{task.id}']")
    assert "Renew the certificate" in new_card.inner_text() and "Ada Agent" in new_card.inner_text()
    assert f"Due {times.moment(due, agent)}" in new_card.inner_text() and "overdue" not in new_card.inner_text()
    assert "overdue" in card(page, late).inner_text() and card(page, late).locator(".text-danger").count() == 1
    assert [count_of(page, s) for s in TaskStatus] == ["1", "1", "0", "0", "0"]
    assert new_card.locator(MOVE).locator("option:not([disabled])").all_inner_texts() == ["In Progress", "On Hold", "Cancelled"]
    screenshot(page, "board")

    new_card.locator(MOVE).select_option("In Progress")
    column(page, TaskStatus.IN_PROGRESS).locator(f"[data-task-id='{task.id}']").wait_for()
    assert column(page, TaskStatus.NEW).locator(f"[data-task-id='{task.id}']").count() == 0
    assert [count_of(page, s) for s in TaskStatus] == ["0", "2", "0", "0", "0"]
    assert "Moved “Renew the certificate” to In Progress." in page.inner_text("#board-alert")
    last = history_of(live_server, task)[-1]
    assert (last.change_type, last.changed_by, last.new_value) == (ChangeType.STATUS_CHANGE, agent.id, {"status": "In Progress"})


def test_filters_live_in_the_url(page, live_server, portal_user):
    agent = portal_user(Role.AGENT)
    create(live_server, agent, title="Urgent outage", priority=Priority.CRITICAL, assigned_to=agent.id)
    create(live_server, agent, title="Tidy the wiki", priority=Priority.LOW, assigned_to=agent.id)
    open_board(page, live_server, agent)
    assert count_of(page, TaskStatus.NEW) == "2"
    page.select_option("#board-priority", "Critical")
    page.wait_for_function("document.querySelector(\"section[data-status='New'] .board-count\").innerText === '1'")
    assert "priority=Critical" in page.url
    page.reload()
    page.wait_for_selector("#board section[data-status='New']")
    assert page.input_value("#board-priority") == "Critical" and count_of(page, TaskStatus.NEW) == "1"
    assert "Urgent outage" in page.inner_text("#board") and "Tidy the wiki" not in page.inner_text("#board")


def test_viewer_and_agent_on_someone_elses_task_see_no_move_control(page, live_server, portal_user):
    owner, other = portal_user(Role.AGENT), portal_user(Role.AGENT)
    task = create(live_server, owner, title=f"Owner's task {owner.username}", assigned_to=owner.id)
    for user in (portal_user(Role.VIEWER), other):
        open_board(page, live_server, user, query=f"?q={owner.username}")
        card(page, task).wait_for()
        assert card(page, task).locator(MOVE).count() == 0
        page.context.clear_cookies()


def test_stale_move_is_refused_with_the_message_and_nothing_written(page, live_server, portal_user):
    agent = portal_user(Role.AGENT)
    task = create(live_server, agent, title="Contested task", assigned_to=agent.id)
    open_board(page, live_server, agent)
    card(page, task).wait_for()
    with live_server.app.app_context():  # another session edits the task after the board was drawn
        tasks.update_task(actor=agent, task_id=task.id, changes={"title": "Contested task, renamed"})
    rows_before = len(history_of(live_server, task))

    card(page, task).locator(MOVE).select_option("On Hold")
    page.wait_for_selector("#board-alert.alert-danger")
    assert page.inner_text("#board-alert") == "The task was changed by someone else; reload it and try again."
    page.wait_for_function("document.querySelector(\"section[data-status='New']\").innerText.includes('renamed')")
    assert count_of(page, TaskStatus.NEW) == "1" and count_of(page, TaskStatus.ON_HOLD) == "0"
    assert len(history_of(live_server, task)) == rows_before
    with live_server.app.app_context():
        assert tasks.get_task(task_id=task.id).status == TaskStatus.NEW
    page.click("#board-alert .btn-close")
    page.wait_for_selector("#board-alert", state="detached")


def test_user_text_on_cards_is_text(page, live_server, portal_user):
    agent = portal_user(Role.AGENT)
    title = "<img src=x onerror=alert(1)> & <b>bold</b>"
    create(live_server, agent, title=title, assigned_to=agent.id, tags=["<script>x</script>"])
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_board(page, live_server, agent)
    assert title in page.inner_text("#board") and "<script>x</script>" in page.inner_text("#board")
    assert page.locator("#board img, #board b, #board script").count() == 0
    page.wait_for_timeout(300)
    assert dialogs == []


def test_show_more_loads_the_next_cards(page, live_server, portal_user):
    agent = portal_user(Role.AGENT)
    with live_server.app.app_context():
        for n in range(23):
            tasks.create_task(actor=agent, title=f"Batch task {n:02}", assigned_to=agent.id)
    open_board(page, live_server, agent)
    new = column(page, TaskStatus.NEW)
    assert count_of(page, TaskStatus.NEW) == "23"
    assert new.locator(".board-card").count() == 20
    new.get_by_role("button", name="Show more").click()
    page.wait_for_function("document.querySelectorAll(\"section[data-status='New'] .board-card\").length === 23")
    assert not new.get_by_role("button", name="Show more").is_visible()
    titles = new.locator(".board-card a").all_inner_texts()
    assert sorted(titles) == [f"Batch task {n:02}" for n in range(23)] and len(set(titles)) == 23


def test_the_server_refuses_a_forged_move_whatever_the_page_offered(page, live_server, portal_user):
    """A viewer's browser sends the move callback by hand: the workflow rules refuse it and nothing is written."""
    owner, viewer = portal_user(Role.AGENT), portal_user(Role.VIEWER)
    task = create(live_server, owner, title="Not the viewer's to move", assigned_to=owner.id)
    open_board(page, live_server, viewer)
    dependencies = page.request.get(f"{live_server.url}/_dash-dependencies").json()
    move = next(d for d in dependencies if any("board-move" in str(i["id"]) for i in d["inputs"]))
    control = {"id": str(task.id), "type": "board-move", "version": task.version}
    outputs = [dict(zip(("id", "property"), output.rsplit(".", 1))) for output in move["output"].strip(".").split("...")]
    response = page.request.post(f"{live_server.url}/_dash-update-component", data={
        "output": move["output"],
        "outputs": outputs,
        "inputs": [[{"id": control, "property": "value", "value": "In Progress"}]],
        "changedPropIds": [json.dumps(control, separators=(",", ":"), sort_keys=True) + ".value"],
        "state": [{"id": "board-filters", "property": "data", "value": {}}],
    })
    assert response.status == 200, response.text()
    alert = response.json()["response"]["board-alert"]
    assert alert == {"children": "You may only move tasks assigned to or created by you.", "color": "danger", "is_open": True}
    with live_server.app.app_context():
        assert tasks.get_task(task_id=task.id).status == TaskStatus.NEW
    assert [row.change_type for row in history_of(live_server, task)] == [ChangeType.CREATION]


def test_a_cards_due_time_is_on_the_users_clock(page, live_server, portal_user):
    agent = portal_user(Role.AGENT)
    due = datetime(2026, 3, 8, 12, 0, tzinfo=timezone.utc)  # New York's clocks went forward at 02:00 that day: UTC-4
    with live_server.app.app_context():
        users.update_user(actor=agent, user_id=agent.id, changes={"time_zone": "America/New_York"})
        task = tasks.create_task(actor=agent, title="Zoned card", assigned_to=agent.id, due_date=utcnow() + timedelta(days=1))
        session.get(Task, task.id).due_date = due  # set directly: the service refuses past due dates
        session.commit()
    open_board(page, live_server, agent)
    shown = card(page, task).locator(".task-card-due time")
    assert shown.inner_text() == times.moment(due, SimpleNamespace(time_zone="America/New_York"))
    assert shown.inner_text().startswith("Sun 8 Mar") and shown.inner_text().endswith(" 08:00")
    assert shown.get_attribute("datetime") == "2026-03-08T12:00:00+00:00"
    assert shown.get_attribute("title").endswith("New York time")
    assert "UTC" not in card(page, task).inner_text()
