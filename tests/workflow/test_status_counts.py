"""Counts per status for the board's filters: one GROUP BY, zeros included, deleted tasks left out."""
import uuid

import pytest
from sqlalchemy import event

from db import session
from db.models import Priority, Role, TaskStatus
from domain.errors import InvalidTransition, StaleVersion
from domain.filters import UNASSIGNED, TaskFilters
from workflow import tasks, users


def test_status_counts_follow_the_filters(ctx, make_user):
    manager, agent = make_user(Role.MANAGER), make_user(Role.AGENT)
    marker = uuid.uuid4().hex
    mine = tasks.create_task(actor=agent, title=f"{marker} mine", assigned_to=agent.id, priority=Priority.HIGH, tags=["vip"])
    tasks.create_task(actor=agent, title=f"{marker} also mine", assigned_to=agent.id)
    tasks.create_task(actor=manager, title=f"{marker} unassigned", tags=["vip"])
    gone = tasks.create_task(actor=manager, title=f"{marker} deleted")
    tasks.change_status(actor=agent, task_id=mine.id, status=TaskStatus.IN_PROGRESS)
    tasks.delete_task(actor=manager, task_id=gone.id)

    def counts(**filters):
        return tasks.status_counts(filters=TaskFilters(q=marker, **filters))

    assert counts() == {"New": 2, "In Progress": 1, "On Hold": 0, "Completed": 0, "Cancelled": 0}
    assert counts(assigned_to=agent.id) == {"New": 1, "In Progress": 1, "On Hold": 0, "Completed": 0, "Cancelled": 0}
    assert counts(assigned_to=UNASSIGNED)["New"] == 1
    assert counts(priority=Priority.HIGH) == {"New": 0, "In Progress": 1, "On Hold": 0, "Completed": 0, "Cancelled": 0}
    assert counts(tag="vip") == {"New": 1, "In Progress": 1, "On Hold": 0, "Completed": 0, "Cancelled": 0}


def test_status_counts_are_one_grouped_query(ctx):
    statements = []

    def remember(_connection, _cursor, statement, *_rest):
        statements.append(statement)

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", remember)
    try:
        tasks.status_counts(filters=TaskFilters(q="anything"))
    finally:
        event.remove(connection, "before_cursor_execute", remember)
    assert len(statements) == 1 and "GROUP BY" in statements[0] and "count(" in statements[0].lower()


def test_full_names_by_id(ctx, make_user):
    first, second = make_user(Role.AGENT, full_name="Ada Agent"), make_user(Role.VIEWER, full_name="Vic Viewer")
    assert users.full_names(user_ids={first.id, second.id}) == {first.id: "Ada Agent", second.id: "Vic Viewer"}
    assert users.full_names(user_ids=set()) == {}


def _grouped_live_counts() -> dict[str, int]:
    return tasks.status_counts(filters=TaskFilters(q=""))  # any filter: the GROUP BY path


def test_unfiltered_counts_come_from_the_counters_and_match_the_tasks(ctx, make_user):
    manager, agent = make_user(Role.MANAGER), make_user(Role.AGENT)
    before = tasks.status_counts(filters=TaskFilters())
    assert before == _grouped_live_counts()
    first = tasks.create_task(actor=agent, title="counted one", assigned_to=agent.id)
    second = tasks.create_task(actor=manager, title="counted two")
    third = tasks.create_task(actor=manager, title="counted three")
    tasks.change_status(actor=agent, task_id=first.id, status=TaskStatus.IN_PROGRESS)
    tasks.update_task(actor=agent, task_id=first.id, changes={"status": TaskStatus.COMPLETED, "title": "done"})
    tasks.change_status(actor=manager, task_id=first.id, status=TaskStatus.IN_PROGRESS)  # reopen
    tasks.change_status(actor=manager, task_id=second.id, status=TaskStatus.CANCELLED)
    tasks.delete_task(actor=manager, task_id=third.id)
    after = tasks.status_counts(filters=TaskFilters())
    assert after == _grouped_live_counts()
    assert {s: after[s] - before[s] for s in after} == {
        "New": 0, "In Progress": 1, "On Hold": 0, "Completed": 0, "Cancelled": 1,
    }


def test_a_refused_move_leaves_the_counters_alone(ctx, make_user):
    agent = make_user(Role.AGENT)
    task = tasks.create_task(actor=agent, title="refused move", assigned_to=agent.id)
    before = tasks.status_counts(filters=TaskFilters())
    with pytest.raises(InvalidTransition):
        tasks.change_status(actor=agent, task_id=task.id, status=TaskStatus.COMPLETED)
    with pytest.raises(StaleVersion):
        tasks.update_task(actor=agent, task_id=task.id, changes={"status": TaskStatus.ON_HOLD}, expected_version=99)
    assert tasks.status_counts(filters=TaskFilters()) == before == _grouped_live_counts()


def test_unfiltered_counts_are_one_small_read(ctx):
    statements = []

    def remember(_connection, _cursor, statement, *_rest):
        statements.append(statement)

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", remember)
    try:
        tasks.status_counts(filters=TaskFilters())
    finally:
        event.remove(connection, "before_cursor_execute", remember)
    assert len(statements) == 1 and "task_status_counts" in statements[0] and "GROUP BY" not in statements[0]
