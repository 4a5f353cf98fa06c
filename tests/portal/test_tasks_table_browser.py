"""The task table in a real browser: server-side sort and filters, cell edits through the workflow, refusals in sentences,
bulk changes offering only what the rules allow, notices from other pages."""
import csv
import uuid
from urllib.parse import urlsplit

import pytest

from db import session
from db.models import ChangeType, Priority, Role, Task, TaskHistory, TaskStatus
from domain import rules
from portal import ids
from tests.conftest import wait_until
from tests.portal.conftest import VIEWPORTS, screenshot, sign_in
from tests.portal.test_csp_browser import LISTEN
from workflow import tasks, users

pytestmark = pytest.mark.live


def _row(page, title):
    return page.locator(".ag-row", has=page.locator("[col-id=title]", has_text=title)).first


def _choose(page, row, column, value):
    row.locator(f"[col-id={column}]").dblclick()
    page.locator(".ag-cell-inline-editing .ag-picker-field-wrapper, .ag-popup-editor .ag-picker-field-wrapper").first.click()
    page.locator(".ag-list-item", has_text=value).click()


def _bulk_choices(page, shown: str) -> list[str]:
    """The options of the bulk value picker (a searchable dcc.Dropdown), opened once it offers `shown`."""
    page.click(f"#{ids.TASKS_BULK_VALUE}")
    options = page.locator(".dash-dropdown-content [role=option]")
    options.filter(has_text=shown).first.wait_for()
    return options.all_inner_texts()


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
    page.wait_for_selector("text=Saved the priority of 'Table edit subject'.")
    _row(page, "Table edit subject").locator("[col-id=due_date]").dblclick()
    page.keyboard.press("Control+a")
    page.keyboard.type("2031-05-06 07:08")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Saved the due date of 'Table edit subject'.")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.ag-row [col-id=due_date]')].some(c => c.innerText === 'Tue 6 May 2031 07:08')"
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
    page.wait_for_selector("text=Not saved: the task was changed by someone else; reload it and try again.")
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
    page.wait_for_selector("text=Saved the status of 'Move me in the table'.")
    with live_server.app.app_context():
        assert session.get(Task, task.id).status.value == "In Progress"
        moves = session.query(TaskHistory).filter_by(task_id=task.id, change_type=ChangeType.STATUS_CHANGE).all()
        assert [(m.old_value, m.new_value, m.changed_by) for m in moves] == [
            ({"status": "New"}, {"status": "In Progress"}, agent.id)
        ]


def _select_rows(page, *titles):
    for title in titles:
        _row(page, title).locator(".ag-selection-checkbox input").check()


def test_agent_bulk_changes_status_and_sees_each_rows_result(page, live_server, portal_user):
    agent = portal_user(Role.AGENT)
    with live_server.app.app_context():
        started = [tasks.create_task(actor=agent, title=f"Bulk subject {n}", assigned_to=agent.id) for n in (1, 2)]
        for task in started:
            tasks.change_status(actor=agent, task_id=task.id, status=TaskStatus.IN_PROGRESS)
        fresh = tasks.create_task(actor=agent, title="Bulk subject 3", assigned_to=agent.id)
    _open_table_as(page, live_server, agent)
    page.fill("input[type=search]", "Bulk subject")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelectorAll('.ag-center-cols-container .ag-row').length === 3")
    assert page.locator(f"#{ids.TASKS_BULK_APPLY}").is_disabled()
    _select_rows(page, "Bulk subject 1", "Bulk subject 2", "Bulk subject 3")
    page.wait_for_selector(f"#{ids.TASKS_BULK_SELECTED} >> text=3 rows selected")
    page.select_option(f"#{ids.TASKS_BULK_FIELD}", "status")
    # Only the moves the rules allow some selected row (New is no move from New or In Progress).
    assert _bulk_choices(page, "Completed") == ["In Progress", "On Hold", "Completed", "Cancelled"]
    page.locator(".dash-dropdown-content [role=option]", has_text="Completed").first.click()
    page.click(f"#{ids.TASKS_BULK_APPLY}")
    page.wait_for_selector("text=2 changed, 1 refused")
    report = page.locator(f"#{ids.TASKS_BULK_RESULT} tbody tr")
    assert report.count() == 3
    rows = {r.locator("td").nth(0).inner_text(): r for r in report.all()}
    assert "table-success" in rows["Bulk subject 1"].get_attribute("class")
    refused = rows["Bulk subject 3"]
    assert "table-danger" in refused.get_attribute("class")
    assert refused.locator("td").nth(1).inner_text() == "Refused"
    assert refused.locator("td").nth(2).inner_text() == (
        "Cannot move a task from New to Completed. It can move to In Progress, On Hold or Cancelled."
    )
    # The grid reloads from the server and the selection is cleared.
    page.wait_for_function(
        "[...document.querySelectorAll('.ag-row [col-id=status]')].filter(c => c.innerText === 'Completed').length === 2"
    )
    page.wait_for_selector(f"#{ids.TASKS_BULK_SELECTED} >> text=No rows selected")
    screenshot(page, "tasks-bulk")
    with live_server.app.app_context():
        assert [session.get(Task, t.id).status for t in started] == [TaskStatus.COMPLETED] * 2
        assert session.get(Task, fresh.id).status == TaskStatus.NEW
        moves = session.query(TaskHistory).filter_by(task_id=fresh.id, change_type=ChangeType.STATUS_CHANGE).count()
        assert moves == 0


def test_viewer_has_no_bulk_controls(page, live_server, portal_user):
    viewer = portal_user(Role.VIEWER)
    sign_in(page, live_server.url, viewer, next_path="/tasks")
    page.wait_for_selector(f"#{ids.TASKS_VIEWS}")
    page.wait_for_selector(".ag-header-cell[col-id=title]")
    assert page.locator(f"#{ids.TASKS_BULK_APPLY}").count() == 0
    assert page.locator(".ag-selection-checkbox").count() == 0


def test_saved_view_reopens_filters_and_sort_and_export_follows(page, live_server, portal_user):
    agent = portal_user(Role.AGENT)
    with live_server.app.app_context():
        for priority in (Priority.MEDIUM, Priority.CRITICAL, Priority.LOW):
            tasks.create_task(actor=agent, title=f"View subject {priority.value}", priority=priority, assigned_to=agent.id)
    _open_table_as(page, live_server, agent)
    page.select_option("select >> nth=1", "New")
    page.fill("input[type=search]", "View subject")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelectorAll('.ag-center-cols-container .ag-row').length === 3")
    page.click(".ag-header-cell[col-id=priority] .ag-header-cell-label")
    page.wait_for_function(
        "document.querySelector(\".ag-center-cols-container .ag-row[row-index='0'] [col-id=priority]\").innerText === 'Low'"
    )
    export = page.locator(f"#{ids.TASKS_EXPORT}")
    page.wait_for_function(
        f"document.getElementById('{ids.TASKS_EXPORT}').getAttribute('href').endsWith('sort=priority')"
    )
    assert export.get_attribute("href") == (
        f"/api/reports/tasks?format=csv&status=New&assigned_to={agent.id}&q=View%20subject&sort=priority"
    )
    assert export.get_attribute("download") is not None
    with page.expect_download() as download:
        export.click()
    with open(download.value.path(), encoding="utf-8", newline="") as exported:
        rows = list(csv.DictReader(exported))
    assert download.value.suggested_filename.startswith("tasks-") and download.value.suggested_filename.endswith(".csv")
    assert [row["title"] for row in rows] == ["View subject Low", "View subject Medium", "View subject Critical"]
    assert {row["assigned_to"] for row in rows} == {agent.username}
    page.fill(f"#{ids.TASKS_VIEW_NAME}", "New by priority")
    page.click(f"#{ids.TASKS_VIEW_SAVE}")
    page.wait_for_selector("text=Saved view 'New by priority'.")

    # Saving the same name again asks before replacing.
    page.click(f"#{ids.TASKS_VIEW_SAVE}")
    page.wait_for_selector("text=you already have a view named 'New by priority'. Replace it?")
    page.click(f"#{ids.TASKS_VIEW_REPLACE}")
    page.wait_for_selector("text=Replaced view 'New by priority'.")

    page.goto(f"{live_server.url}/tasks")
    page.wait_for_selector(".ag-row")
    assert page.locator("select >> nth=1").input_value() == "any"
    page.select_option(f"#{ids.TASKS_VIEWS}", label="New by priority")
    # The grid may hold the same 3 rows before the view applies: wait for the view's own filters.
    page.wait_for_function("document.querySelectorAll('select')[0].value === 'mine'")
    page.wait_for_function("document.querySelectorAll('.ag-center-cols-container .ag-row').length === 3")
    assert page.locator("select >> nth=0").input_value() == "mine"
    assert page.locator("select >> nth=1").input_value() == "New"
    assert page.locator("input[type=search]").input_value() == "View subject"
    page.wait_for_function(
        "document.querySelector(\".ag-center-cols-container .ag-row[row-index='0'] [col-id=priority]\").innerText === 'Low'"
    )
    assert page.locator(".ag-header-cell[col-id=priority]").get_attribute("aria-sort") == "ascending"
    page.wait_for_function(
        f"document.getElementById('{ids.TASKS_EXPORT}').getAttribute('href').includes('q=View%20subject')"
    )

    page.click(f"#{ids.TASKS_VIEW_DELETE}")
    page.wait_for_selector("text=Deleted view 'New by priority'.")
    assert page.locator(f"#{ids.TASKS_VIEWS} option", has_text="New by priority").count() == 0


def _type_due(page, title: str, text: str) -> None:
    _row(page, title).locator("[col-id=due_date]").dblclick()
    page.keyboard.press("Control+a")
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def test_a_refused_cell_edit_is_said_in_a_sentence(page, live_server, portal_user):
    agent = portal_user(Role.AGENT)
    with live_server.app.app_context():
        users.update_user(actor=agent, user_id=agent.id, changes={"time_zone": "Europe/Paris"})
        task = tasks.create_task(actor=agent, title="Refused edit subject", assigned_to=agent.id)
    _open_table_as(page, live_server, agent)
    _type_due(page, "Refused edit subject", "next Tuesday")
    alert = page.locator(f"#{ids.TASKS_EDIT_RESULT} .alert-danger")
    alert.wait_for()
    # The field in words, then what to type, on the user's clock.
    assert alert.inner_text() == (
        "Not saved: the due date is not a valid date. Enter a date and time as YYYY-MM-DD HH:MM, Paris time."
    )
    _type_due(page, "Refused edit subject", "2031-02-30 10:00")
    page.wait_for_selector(f"#{ids.TASKS_EDIT_RESULT} .alert-danger >> text=2031-02-30 10:00 is not a real date and time.")
    assert alert.inner_text() == "Not saved: the due date is not a valid date. 2031-02-30 10:00 is not a real date and time."
    with live_server.app.app_context():
        assert session.get(Task, task.id).due_date is None


def test_the_bulk_assignees_are_only_those_the_rules_let_the_user_set(page, live_server, portal_user):
    agent, colleague = portal_user(Role.AGENT), portal_user(Role.AGENT)
    _open_table_as(page, live_server, agent)
    page.select_option(f"#{ids.TASKS_BULK_FIELD}", "assigned_to")
    offered = _bulk_choices(page, "Unassigned")
    with live_server.app.app_context():
        allowed = [person.full_name for person in users.assignable_users() if rules.may_set_assignee(agent, None, person.id)]
    assert allowed == [agent.full_name]
    assert offered == ["Unassigned", f"{agent.full_name} (me)"]
    assert not any(colleague.full_name in option for option in offered)
    page.keyboard.press("Escape")

    # A supervisor finds anyone who can be given tasks by typing in the list's search box.
    page.context.clear_cookies()
    _open_table_as(page, live_server, portal_user(Role.MANAGER))
    page.select_option(f"#{ids.TASKS_BULK_FIELD}", "assigned_to")
    page.click(f"#{ids.TASKS_BULK_VALUE}")
    page.fill(".dash-dropdown-content input.dash-dropdown-search", colleague.full_name)
    page.locator(".dash-dropdown-content [role=option]", has_text=colleague.full_name).wait_for()


def test_a_notice_from_another_page_is_shown_once(browser, live_server, portal_user):
    # Under the real content security policy: the notice's clientside callback is an inline script.
    context, violations = browser.new_context(viewport=VIEWPORTS["desktop"]), []
    context.set_default_timeout(15_000)
    context.expose_function("reportCspViolation", lambda text: violations.append(text))
    context.add_init_script(LISTEN)
    try:
        page = context.new_page()
        sign_in(page, live_server.url, portal_user(Role.AGENT), next_path="/tasks?notice=task-deleted")
        notice = page.locator(f"#{ids.PAGE_NOTICE}")
        notice.wait_for()
        assert notice.inner_text() == "Task deleted."
        assert "alert-success" in notice.get_attribute("class")
        # The address drops it, so a reload does not say it again.
        wait_until(lambda: urlsplit(page.url).query == "", 10, "the notice leaving the address")
        assert urlsplit(page.url).path == "/tasks"
        notice.locator(".btn-close").click()
        notice.wait_for(state="detached")

        page.goto(f"{live_server.url}/tasks?notice=no-such-notice")
        page.wait_for_selector(".ag-header-cell[col-id=title]")
        assert page.locator(f"#{ids.PAGE_NOTICE}").count() == 0
        assert violations == []
    finally:
        context.close()


def test_a_link_opens_the_grid_with_its_filters(page, live_server, portal_user):
    """The workload page's "unassigned queue" link: /tasks?scope=none opens on the unassigned tasks only."""
    manager = portal_user(Role.MANAGER)
    marker = f"queue{uuid.uuid4().hex[:8]}"
    with live_server.app.app_context():
        tasks.create_task(actor=manager, title=f"Nobody's {marker}", priority=Priority.HIGH)
        tasks.create_task(actor=manager, title=f"Someone's {marker}", priority=Priority.HIGH, assigned_to=manager.id)
    sign_in(page, live_server.url, manager, next_path=f"/tasks?scope=none&priority=High&q={marker}&status=bogus")
    page.wait_for_selector(".ag-row:has-text('Nobody')")
    assert page.locator(".ag-row").all_inner_texts() and all("Nobody" in row for row in page.locator(".ag-row").all_inner_texts())
    assert page.input_value("select >> nth=0") == "none"
    assert page.input_value("select >> nth=1") == "any"  # an unknown status is the default
    assert page.input_value("select >> nth=2") == "High"
    assert page.input_value("input[type=search]") == marker
