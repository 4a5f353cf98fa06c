"""The task table in a real browser: server-side sort and filters, cell edits through the workflow."""
import pytest

from db import session
from db.models import ChangeType, Priority, Role, Task, TaskHistory
from tests.portal.conftest import screenshot, sign_in
from workflow import tasks

pytestmark = pytest.mark.live


def _row(page, title):
    return page.locator(".ag-row", has=page.locator("[col-id=title]", has_text=title)).first


def _choose(page, row, column, value):
    row.locator(f"[col-id={column}]").dblclick()
    page.locator(".ag-cell-inline-editing .ag-picker-field-wrapper, .ag-popup-editor .ag-picker-field-wrapper").first.click()
    page.locator(".ag-list-item", has_text=value).click()


def _open_table_as(page, live_server, user):
    sign_in(page, live_server.url, user, next_path="/tasks")
    page.wait_for_selector(".ag-row")
    page.select_option("select >> nth=0", "mine")


def test_agent_edits_priority_and_due_date_and_history_records_both(page, live_server, portal_user):
    agent = portal_user(Role.AGENT)
    with live_server.app.app_context():
        task = tasks.create_task(actor=agent, title="Table edit subject", priority=Priority.LOW, assigned_to=agent.id)
    _open_table_as(page, live_server, agent)
    _choose(page, _row(page, "Table edit subject"), "priority", "Medium")
    page.wait_for_selector("text=Saved priority of 'Table edit subject'.")
    _row(page, "Table edit subject").locator("[col-id=due_date]").dblclick()
    page.keyboard.press("Control+a")
    page.keyboard.type("2031-05-06 07:08")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Saved due_date of 'Table edit subject'.")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.ag-row [col-id=due_date]')].some(c => c.innerText === '2031-05-06 07:08')"
    )
    screenshot(page, "tasks-table")
    with live_server.app.app_context():
        saved = session.get(Task, task.id)
        assert saved.priority == Priority.MEDIUM and saved.due_date.isoformat().startswith("2031-05-06T07:08")
        edits = session.query(TaskHistory).filter_by(task_id=task.id, change_type=ChangeType.EDIT).order_by(TaskHistory.id).all()
        assert [list(e.new_value) for e in edits] == [["priority"], ["due_date"]]
        assert all(e.changed_by == agent.id for e in edits)


def test_stale_edit_is_refused_and_reverted(page, live_server, portal_user):
    agent = portal_user(Role.AGENT)
    with live_server.app.app_context():
        task = tasks.create_task(actor=agent, title="Stale table subject", priority=Priority.LOW, assigned_to=agent.id)
    _open_table_as(page, live_server, agent)
    _row(page, "Stale table subject").wait_for()
    with live_server.app.app_context():  # someone else edits it after the page loaded
        tasks.update_task(actor=agent, task_id=task.id, changes={"title": "Stale table subject (renamed)"})
    _choose(page, _row(page, "Stale table subject"), "priority", "High")
    page.wait_for_selector("text=Not saved: the task was changed by someone else; reload it and try again")
    page.wait_for_selector(".ag-row [col-id=title] >> text=Stale table subject (renamed)")
    assert _row(page, "Stale table subject (renamed)").locator("[col-id=priority]").inner_text() == "Low"
    with live_server.app.app_context():
        assert session.get(Task, task.id).priority == Priority.LOW


def test_viewer_cannot_edit_and_text_stays_text(page, live_server, portal_user):
    manager, viewer = portal_user(Role.MANAGER), portal_user(Role.VIEWER)
    title = "<img src=x onerror=alert(1)> grid"
    with live_server.app.app_context():
        tasks.create_task(actor=manager, title=title, priority=Priority.HIGH)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, live_server.url, viewer, next_path="/tasks")
    page.wait_for_selector(".ag-row")
    page.fill("input[type=search]", "onerror")
    page.keyboard.press("Enter")
    row = _row(page, title)
    row.wait_for()
    assert page.locator(".ag-row img").count() == 0
    row.locator("[col-id=priority]").dblclick()
    page.wait_for_timeout(300)
    assert page.locator(".ag-cell-editor, .ag-popup-editor, .ag-cell-inline-editing").count() == 0
    assert dialogs == []


def test_sorting_is_done_by_the_server(page, live_server, portal_user):
    agent = portal_user(Role.AGENT)
    with live_server.app.app_context():
        for priority in (Priority.MEDIUM, Priority.CRITICAL, Priority.LOW):
            tasks.create_task(actor=agent, title=f"Sort {priority.value}", priority=priority, assigned_to=agent.id)
    _open_table_as(page, live_server, agent)
    page.fill("input[type=search]", "Sort ")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelectorAll('.ag-row').length === 3")
    page.click(".ag-header-cell[col-id=priority] .ag-header-cell-label")
    page.wait_for_function(
        "document.querySelector(\".ag-row[row-index='0'] [col-id=priority]\").innerText === 'Low'"
    )
    page.click(".ag-header-cell[col-id=priority] .ag-header-cell-label")
    page.wait_for_function(
        "document.querySelector(\".ag-row[row-index='0'] [col-id=priority]\").innerText === 'Critical'"
    )


def test_clicking_a_title_opens_the_task(page, live_server, portal_user):
    agent = portal_user(Role.AGENT)
    with live_server.app.app_context():
        task = tasks.create_task(actor=agent, title="Open me from the table", assigned_to=agent.id)
    _open_table_as(page, live_server, agent)
    _row(page, "Open me from the table").locator("[col-id=title]").click()
    page.wait_for_url(f"{live_server.url}/tasks/{task.id}")


def test_status_cell_offers_only_allowed_moves_and_moves_through_the_workflow(page, live_server, portal_user):
    agent = portal_user(Role.AGENT)
    with live_server.app.app_context():
        task = tasks.create_task(actor=agent, title="Move me in the table", assigned_to=agent.id)
    _open_table_as(page, live_server, agent)
    row = _row(page, "Move me in the table")
    row.locator("[col-id=status]").dblclick()
    page.locator(".ag-cell-inline-editing .ag-picker-field-wrapper, .ag-popup-editor .ag-picker-field-wrapper").first.click()
    assert page.locator(".ag-list-item").all_inner_texts() == ["New", "In Progress", "On Hold", "Cancelled"]
    page.locator(".ag-list-item", has_text="In Progress").click()
    page.wait_for_selector("text=Saved status of 'Move me in the table'.")
    with live_server.app.app_context():
        assert session.get(Task, task.id).status.value == "In Progress"
        moves = session.query(TaskHistory).filter_by(task_id=task.id, change_type=ChangeType.STATUS_CHANGE).all()
        assert [(m.old_value, m.new_value, m.changed_by) for m in moves] == [
            ({"status": "New"}, {"status": "In Progress"}, agent.id)
        ]
