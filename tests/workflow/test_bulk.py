"""Bulk changes: each row through the workflow on its own; refusals are reported, never partial."""
import uuid

import pytest

from db import session
from db.models import ChangeType, Priority, Role, Task, TaskHistory, TaskStatus
from domain.errors import Forbidden, ValidationFailed
from workflow import bulk, tasks


def _history(task_id) -> list[ChangeType]:
    rows = session.query(TaskHistory).filter_by(task_id=task_id).order_by(TaskHistory.id)
    return [row.change_type for row in rows]


def _in_status(task, status):
    task.status = status
    session.commit()
    return task


def test_mixed_rows_each_get_their_own_result(ctx, make_user):
    agent, other = make_user(Role.AGENT), make_user(Role.AGENT)
    ok = _in_status(tasks.create_task(actor=agent, title="Moves fine"), TaskStatus.IN_PROGRESS)
    invalid = tasks.create_task(actor=agent, title="Cannot skip ahead")
    forbidden = tasks.create_task(actor=other, title="Not mine", assigned_to=other.id)
    stale = _in_status(tasks.create_task(actor=agent, title="Changed meanwhile"), TaskStatus.IN_PROGRESS)
    seen_version = stale.version
    tasks.update_task(actor=agent, task_id=stale.id, changes={"priority": Priority.HIGH})
    before = {task.id: (_history(task.id), task.version) for task in (ok, invalid, forbidden, stale)}

    results = bulk.bulk_update(
        actor=agent,
        rows=[(ok.id, ok.version), (invalid.id, invalid.version), (forbidden.id, forbidden.version), (stale.id, seen_version)],
        changes={"status": TaskStatus.COMPLETED},
    )

    assert [(r.title, r.outcome, r.code) for r in results] == [
        ("Moves fine", "changed", None),
        ("Cannot skip ahead", "refused", "invalid_transition"),
        ("Not mine", "refused", "forbidden"),
        ("Changed meanwhile", "refused", "version_conflict"),
    ]
    assert results[1].details["allowed"] == ["In Progress", "On Hold", "Cancelled"]
    assert bulk.summary(results) == "1 changed, 3 refused"
    session.expire_all()
    assert session.get(Task, ok.id).status == TaskStatus.COMPLETED
    assert results[0].version == session.get(Task, ok.id).version == before[ok.id][1] + 1
    assert _history(ok.id) == before[ok.id][0] + [ChangeType.STATUS_CHANGE]
    for refused in (invalid, forbidden, stale):
        saved = session.get(Task, refused.id)
        assert (_history(refused.id), saved.version) == before[refused.id]
    assert session.get(Task, invalid.id).status == TaskStatus.NEW
    assert session.get(Task, stale.id).status == TaskStatus.IN_PROGRESS


def test_manager_assigns_many_and_already_assigned_rows_are_unchanged(ctx, make_user):
    manager, agent = make_user(Role.MANAGER), make_user(Role.AGENT)
    first = tasks.create_task(actor=manager, title="First")
    second = tasks.create_task(actor=manager, title="Second", assigned_to=agent.id)
    results = bulk.bulk_update(
        actor=manager, rows=[(first.id, first.version), (second.id, second.version)], changes={"assigned_to": agent.id}
    )
    assert [r.outcome for r in results] == ["changed", "unchanged"]
    assert bulk.summary(results) == "1 changed, 1 unchanged"
    assert _history(first.id) == [ChangeType.CREATION, ChangeType.ASSIGNMENT]
    assert _history(second.id) == [ChangeType.CREATION]


def test_invalid_assignee_and_deleted_task_are_refused_per_row(ctx, make_user):
    manager, viewer = make_user(Role.MANAGER), make_user(Role.VIEWER)
    live = tasks.create_task(actor=manager, title="Live")
    gone = tasks.create_task(actor=manager, title="Gone")
    tasks.delete_task(actor=manager, task_id=gone.id)
    results = bulk.bulk_update(
        actor=manager, rows=[(live.id, live.version), (gone.id, gone.version)], changes={"assigned_to": viewer.id}
    )
    assert [(r.title, r.code) for r in results] == [("Live", "validation_failed"), ("Gone", "not_found")]
    assert session.get(Task, live.id).assigned_to is None


def test_priority_for_a_task_listed_twice_changes_it_once(ctx, make_user):
    agent = make_user(Role.AGENT)
    task = tasks.create_task(actor=agent, title="Twice")
    results = bulk.bulk_update(
        actor=agent, rows=[(task.id, task.version), (task.id, task.version)], changes={"priority": Priority.CRITICAL}
    )
    assert [r.outcome for r in results] == ["changed"]
    assert _history(task.id) == [ChangeType.CREATION, ChangeType.EDIT]


def test_viewers_are_refused_outright(ctx, make_user):
    manager, viewer = make_user(Role.MANAGER), make_user(Role.VIEWER)
    task = tasks.create_task(actor=manager, title="Look only")
    with pytest.raises(Forbidden):
        bulk.bulk_update(actor=viewer, rows=[(task.id, task.version)], changes={"priority": Priority.LOW})
    assert _history(task.id) == [ChangeType.CREATION]


@pytest.mark.parametrize(
    "rows, changes",
    [
        ([], {"priority": Priority.LOW}),
        ([(uuid.uuid4(), 1)] * (bulk.MAX_ROWS + 1), {"priority": Priority.LOW}),
        ([(uuid.uuid4(), 1)], {}),
        ([(uuid.uuid4(), 1)], {"title": "Renamed"}),
        ([(uuid.uuid4(), 1)], {"priority": Priority.LOW, "status": TaskStatus.ON_HOLD}),
        ([(uuid.uuid4(), 1)], {"status": "Completed"}),
        ([(uuid.uuid4(), 1)], {"status": None}),
    ],
    ids=["empty", "over-cap", "no-change", "not-bulk-field", "two-fields", "raw-string", "null-status"],
)
def test_malformed_requests_are_refused_before_any_row(ctx, make_user, rows, changes):
    with pytest.raises(ValidationFailed):
        bulk.bulk_update(actor=make_user(Role.MANAGER), rows=rows, changes=changes)
