"""The task table's pure pieces: the export link, saved view state, bulk choices and report, refusals in sentences."""
import uuid
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from db.models import Priority, TaskStatus
from domain.errors import StaleVersion, ValidationFailed
from domain.filters import TaskFilters
from workflow import bulk


@pytest.fixture
def table(app):
    """The page module, imported once Dash (made by the app) may register pages."""
    from portal.pages import tasks_table

    return tasks_table


def test_export_link_uses_the_task_list_parameters_in_order(table):
    user_id = uuid.uuid4()
    filters = TaskFilters(
        status=TaskStatus.IN_PROGRESS, priority=Priority.HIGH, assigned_to=user_id, tag="vip",
        q="a&b=c #1", due_before=datetime(2030, 1, 2, 3, 4, tzinfo=timezone.utc),
    )
    assert table.export_href(filters, "-due_date") == (
        "/api/reports/tasks?format=csv&status=In%20Progress&priority=High"
        f"&assigned_to={user_id}&tag=vip&q=a%26b%3Dc%20%231&due_before=2030-01-02T03%3A04%3A00%2B00%3A00&sort=-due_date"
    )


def test_export_link_of_the_table_filters(table, make_user):
    agent = make_user()
    unassigned = table._filters({"scope": "none", "status": "any", "priority": "Low", "q": "  "}, agent)
    assert table.export_href(unassigned, table._sort(None)) == (
        "/api/reports/tasks?format=csv&priority=Low&assigned_to=none&sort=-updated_at"
    )
    mine = table._filters({"scope": "mine", "status": "New", "priority": "any", "q": "x"}, agent)
    sort = table._sort([{"colId": "title", "sort": "asc"}])
    assert table.export_href(mine, sort) == f"/api/reports/tasks?format=csv&status=New&assigned_to={agent.id}&q=x&sort=title"


def test_view_state_keeps_filters_sort_and_columns(table):
    filter_ids = [{"type": table.FILTERS, "name": name} for name in ("scope", "status", "priority", "q")]
    columns = [
        {"colId": "title", "width": 300, "sort": None},
        {"colId": "priority", "width": 120, "sort": "desc", "sortIndex": 0},
        "junk",
    ]
    state = table.view_state(filter_ids, ["mine", "New", "any", None], columns)
    assert state == {
        "filters": {"scope": "mine", "status": "New", "priority": "any", "q": ""},
        "sort": [{"colId": "priority", "sort": "desc"}],
        "columns": columns[:2],
    }
    applied = table.columns_to_apply(state)
    assert [(c["colId"], c["sort"], c["width"]) for c in applied] == [("title", None, 300), ("priority", "desc", 120)]


def test_a_view_without_columns_still_sets_the_sort_and_clears_others(table):
    applied = table.columns_to_apply({"sort": [{"colId": "due_date", "sort": "asc"}]})
    assert {c["colId"]: c["sort"] for c in applied} == {
        "title": None, "status": None, "priority": None, "assignee": None, "due_date": "asc", "tags": None, "updated_at": None,
    }


def test_bulk_choices_become_typed_changes(table):
    user_id = uuid.uuid4()
    assert table.bulk_change("status", "On Hold") == {"status": TaskStatus.ON_HOLD}
    assert table.bulk_change("priority", "Low") == {"priority": Priority.LOW}
    assert table.bulk_change("assigned_to", str(user_id)) == {"assigned_to": user_id}
    assert table.bulk_change("assigned_to", "none") == {"assigned_to": None}
    for field, value in (("status", ""), ("assigned_to", "nobody"), ("title", "x"), (None, None)):
        with pytest.raises(ValueError):
            table.bulk_change(field, value)


def test_bulk_report_lists_each_row_with_its_reason(table):
    results = [
        bulk.RowResult(uuid.uuid4(), "<b>One</b>", bulk.CHANGED, version=2),
        bulk.RowResult(
            uuid.uuid4(), "Two", bulk.REFUSED, "invalid_transition", "cannot move a task from New to Completed",
            {"allowed": ["In Progress", "On Hold"]},
        ),
        bulk.RowResult(uuid.uuid4(), "Three", bulk.REFUSED, "forbidden", "you may only edit tasks assigned to or created by you"),
    ]
    report = table.bulk_report(results)
    alert, table_box = report.children
    assert alert.children == "1 changed, 2 refused" and alert.color == "warning"
    rows = table_box.children.children[1].children
    cells = [[cell.children for cell in row.children] for row in rows]
    assert cells == [
        ["<b>One</b>", "Changed", ""],
        ["Two", "Refused", "Cannot move a task from New to Completed. It can move to In Progress or On Hold."],
        ["Three", "Refused", "You may only edit tasks assigned to or created by you."],
    ]
    assert [row.className for row in rows] == ["table-success", "table-danger", "table-danger"]


@pytest.mark.parametrize("error, field, expected", [
    (ValidationFailed("due date is in the past", [{"field": "due_date", "message": "must not be in the past"}]), "due_date",
     "Not saved: the due date must not be in the past."),
    (ValueError("not a date"), "due_date", "Not saved: the due date is not a valid date."),
    (ValueError("'Done' is not a valid TaskStatus"), "status", "Not saved: the status is not a valid value."),
    (StaleVersion("the task was changed by someone else; reload it and try again"), "priority",
     "Not saved: the task was changed by someone else; reload it and try again."),
    # The time reader's own words, a name or an abbreviation keep their capitals.
    (ValidationFailed("02:30 does not exist on 9 Mar 2031 in New York time"), "due_date",
     "Not saved: 02:30 does not exist on 9 Mar 2031 in New York time."),
    (ValidationFailed("SLA targets are missing"), None, "Not saved: SLA targets are missing."),
])
def test_a_refused_edit_is_said_in_sentences(table, error, field, expected):
    assert table.refusal("Not saved", error, field) == expected


def test_a_due_date_the_grid_cannot_read_names_the_field_then_says_what_to_type(table):
    agent = SimpleNamespace(time_zone="America/New_York")
    with pytest.raises(ValidationFailed) as unreadable:
        table._typed_due("next Tuesday", agent)
    assert table.refusal("Not saved", unreadable.value, "due_date") == (
        "Not saved: the due date is not a valid date. Enter a date and time as YYYY-MM-DD HH:MM, New York time."
    )
    with pytest.raises(ValidationFailed) as skipped:
        table._typed_due("2031-03-09 02:30", agent)
    assert table.refusal("Not saved", skipped.value, "due_date") == (
        "Not saved: the due date is not a valid date. "
        "02:30 does not exist on 9 Mar 2031 in New York time (the clocks go forward)."
    )


def test_a_bulk_status_is_offered_only_where_a_selected_row_may_move(table):
    rows = [{"id": "a", "moves": ["In Progress", "On Hold", "Cancelled"]}, {"id": "b", "moves": ["On Hold", "Completed", "Cancelled"]}]
    offered = [option["value"] for option in table.bulk_options(None, "status", rows)]
    assert offered == ["In Progress", "On Hold", "Completed", "Cancelled"]  # in lifecycle order, New for neither
    assert [option["value"] for option in table.bulk_options(None, "status", [{"id": "c", "moves": []}])] == []
    assert [option["value"] for option in table.bulk_options(None, "status", [])] == [status.value for status in TaskStatus]
    assert [option["value"] for option in table.bulk_options(None, "priority", rows)] == [p.value for p in Priority]
    # The browser's copy of the rows is not trusted to be rows.
    assert table.bulk_options(None, "status", [{"moves": 7}, "x", {"moves": [["New"], "On Hold"]}]) == [
        {"label": "On Hold", "value": "On Hold"}
    ]
