"""Board WIP limits (who sets them, what a limit may be, per department with a default) and the board's swimlane pages."""
import pytest
from sqlalchemy import func, select

from db import session
from db.models import BoardWipLimit, Priority, Role, TaskStatus
from domain.board import is_over_limit, parse_wip_limit
from domain.errors import Forbidden, ValidationFailed
from domain.filters import TaskFilters
from workflow import board, tasks

S = TaskStatus


def _rows() -> int:
    return session.scalar(select(func.count()).select_from(BoardWipLimit))


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER])
def test_supervisors_set_limits(ctx, make_user, role):
    actor = make_user(role)
    assert board.set_wip_limits(actor=actor, department="Support", limits={"In Progress": 4}) == {S.IN_PROGRESS: 4}
    assert board.wip_limits(department="Support")[S.IN_PROGRESS] == 4


@pytest.mark.parametrize("role", [Role.AGENT, Role.VIEWER])
def test_agents_and_viewers_may_not_set_limits(ctx, make_user, role):
    before = _rows()
    with pytest.raises(Forbidden):
        board.set_wip_limits(actor=make_user(role), department="Support", limits={"In Progress": 4})
    with pytest.raises(Forbidden):
        board.set_wip_limits(actor=make_user(role), department="", limits={"In Progress": 4})
    assert _rows() == before


@pytest.mark.parametrize(("value", "limit"), [(1, 1), (999, 999), ("5", 5), (" 7 ", 7), ("", None), ("  ", None), (None, None)])
def test_a_limit_is_a_whole_number_from_1_to_999_or_empty(value, limit):
    assert parse_wip_limit(value) == limit


@pytest.mark.parametrize("value", [0, 1000, -1, "0", "1000", "abc", "5.5", 5.5, 5.0, True, False, "1e2", "+5", "٣", [], {}])
def test_anything_else_is_refused(value):
    with pytest.raises(ValueError):
        parse_wip_limit(value)


def test_invalid_fields_are_named_and_nothing_is_written(ctx, people):
    before = _rows()
    with pytest.raises(ValidationFailed) as refused:
        board.set_wip_limits(actor=people["manager"], department="Support",
                             limits={"New": 3, "In Progress": "lots", "Completed": 5, "Bogus": 1})
    fields = [item["field"] for item in refused.value.details]
    assert fields == ["In Progress", "Completed", "Bogus"]  # Completed and Cancelled take no limit
    assert _rows() == before
    for bad in ([1, 2], "In Progress=3", None):
        with pytest.raises(ValidationFailed):
            board.set_wip_limits(actor=people["manager"], department="Support", limits=bad)
    with pytest.raises(ValidationFailed):
        board.set_wip_limits(actor=people["manager"], department="x" * 101, limits={"New": 3})


def test_limits_are_per_department_with_a_default_for_the_rest(ctx, people):
    manager = people["manager"]
    board.set_wip_limits(actor=manager, department="", limits={"In Progress": 10, "On Hold": 4})
    board.set_wip_limits(actor=manager, department="Support", limits={"In Progress": 3})
    assert board.wip_limits(department="Support") == {S.NEW: None, S.IN_PROGRESS: 3, S.ON_HOLD: 4}
    assert board.wip_limits(department="Sales") == {S.NEW: None, S.IN_PROGRESS: 10, S.ON_HOLD: 4}
    assert board.wip_limits(department="") == {S.NEW: None, S.IN_PROGRESS: 10, S.ON_HOLD: 4}
    assert board.wip_settings(department="Support") == ({S.IN_PROGRESS: 3}, {S.IN_PROGRESS: 10, S.ON_HOLD: 4})

    # Columns left out keep theirs; an empty one goes back to the default.
    board.set_wip_limits(actor=manager, department="Support", limits={"New": "8"})
    assert board.wip_limits(department="Support")[S.IN_PROGRESS] == 3
    board.set_wip_limits(actor=manager, department="Support", limits={"In Progress": ""})
    assert board.wip_limits(department="Support") == {S.NEW: 8, S.IN_PROGRESS: 10, S.ON_HOLD: 4}
    row = session.get(BoardWipLimit, ("Support", S.NEW))
    assert row.updated_by == manager.id and row.wip_limit == 8


def test_a_column_is_over_only_past_its_limit():
    assert not is_over_limit(5, 5) and is_over_limit(6, 5) and not is_over_limit(1000, None)


def test_wip_counts_are_the_departments_whatever_the_view(ctx, make_user, people):
    manager = people["manager"]
    support, sales = make_user(Role.AGENT, department="Support"), make_user(Role.AGENT, department="Sales")
    before = {name: board.wip_counts(department=name)["In Progress"] for name in ("Support", "Sales")}
    for assignee, priority in ((support, Priority.LOW), (support, Priority.HIGH), (sales, Priority.LOW)):
        task = tasks.create_task(actor=manager, title="Counted", assigned_to=assignee.id, priority=priority)
        tasks.change_status(actor=manager, task_id=task.id, status=S.IN_PROGRESS)
    assert board.wip_counts(department="Support")["In Progress"] == before["Support"] + 2
    assert board.wip_counts(department="Sales")["In Progress"] == before["Sales"] + 1
    assert "Support" in board.departments() and "Sales" in board.departments()


def test_swimlane_pages_keep_each_lane_together_and_say_where_the_next_page_goes_on(ctx, make_user, people):
    manager = people["manager"]
    tag = "lanes-unit"
    ada, bob = make_user(Role.AGENT, full_name="Ada Lane"), make_user(Role.AGENT, full_name="Bob Lane")
    for assignee, priority, count in ((bob, Priority.LOW, 3), (ada, Priority.CRITICAL, 2), (None, Priority.HIGH, 2)):
        for _ in range(count):
            tasks.create_task(actor=manager, title="Lane", assigned_to=assignee.id if assignee else None,
                              priority=priority, tags=[tag])
    filters = TaskFilters(tag=tag)

    def walk(lanes: str) -> tuple[list, list]:
        seen, befores, cursor = [], [], None
        while True:
            page = board.column_page(filters=filters, status=S.NEW, lanes=lanes, cursor=cursor, limit=3)
            seen += page.lanes
            befores.append(page.lane_before)
            if page.next_cursor is None:
                return seen, befores
            cursor = page.next_cursor

    lanes, befores = walk("assignee")
    assert lanes == ["Ada Lane"] * 2 + ["Bob Lane"] * 3 + ["Unassigned"] * 2
    assert befores == [None, "Bob Lane", "Unassigned"]
    lanes, befores = walk("priority")
    assert lanes == ["Critical"] * 2 + ["High"] * 2 + ["Low"] * 3
    assert befores == [None, "High", "Low"]
    lanes, _ = walk("none")
    assert lanes == [None] * 7
    # The department filter (a subquery on users) and the assignee lanes (a join on users) stay apart.
    filters = TaskFilters(tag=tag, department="Support")
    lanes, _ = walk("assignee")
    assert lanes == ["Ada Lane"] * 2 + ["Bob Lane"] * 3
