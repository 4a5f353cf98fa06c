"""History completeness: each change leaves exactly its rows with the right values; a refused one leaves none."""
from datetime import datetime, timedelta, timezone

import pytest

from db import session
from db.models import ChangeType, Priority, Role, Task, TaskHistory, TaskStatus
from domain.errors import Forbidden, InvalidTransition, StaleVersion, ValidationFailed
from workflow import cases, tasks


def rows(task_id):
    session.expire_all()
    return session.query(TaskHistory).filter_by(task_id=task_id).order_by(TaskHistory.changed_at, TaskHistory.id).all()


def test_creation_row_holds_the_full_snapshot(ctx, make_user):
    manager, agent = make_user(Role.MANAGER), make_user(Role.AGENT)
    case = cases.create_case(actor=manager, title="Office move")
    due = datetime.now(timezone.utc) + timedelta(days=2)
    task = tasks.create_task(
        actor=manager, title="Pack IT", description="Boxes", priority=Priority.HIGH,
        due_date=due, assigned_to=agent.id, case_id=case.id, tags=["move"],
    )
    [creation] = rows(task.id)
    assert creation.change_type == ChangeType.CREATION and creation.changed_by == manager.id
    assert creation.old_value is None
    assert creation.new_value == {
        "title": "Pack IT", "description": "Boxes", "status": "New", "priority": "High",
        "due_date": due.isoformat(), "assigned_to": str(agent.id), "case_id": str(case.id), "tags": ["move"],
    }
    assert creation.changed_at == task.created_at == task.updated_at
    # Stored as SQL NULL, not JSON null, so audits can say `old_value IS NULL`.
    assert session.query(TaskHistory).filter(TaskHistory.task_id == task.id, TaskHistory.old_value.is_(None)).count() == 1


def test_edit_row_records_only_changed_fields(ctx, make_user):
    agent = make_user(Role.AGENT)
    task = tasks.create_task(actor=agent, title="Old", priority=Priority.LOW, tags=["a"])
    tasks.update_task(actor=agent, task_id=task.id, changes={"title": "New", "priority": Priority.LOW, "tags": ["a", "b"]})
    creation, edit = rows(task.id)
    assert edit.change_type == ChangeType.EDIT and edit.changed_by == agent.id
    assert edit.old_value == {"title": "Old", "tags": ["a"]}
    assert edit.new_value == {"title": "New", "tags": ["a", "b"]}
    assert task.version == 2


def test_assignment_and_take_rows(ctx, make_user):
    manager, agent, other = make_user(Role.MANAGER), make_user(Role.AGENT), make_user(Role.AGENT)
    task = tasks.create_task(actor=manager, title="Unassigned")
    tasks.update_task(actor=agent, task_id=task.id, changes={"assigned_to": agent.id})  # an agent takes it
    tasks.update_task(actor=manager, task_id=task.id, changes={"assigned_to": other.id})
    _, take, reassign = rows(task.id)
    assert (take.change_type, take.changed_by) == (ChangeType.ASSIGNMENT, agent.id)
    assert (take.old_value, take.new_value) == ({"assigned_to": None}, {"assigned_to": str(agent.id)})
    assert (reassign.old_value, reassign.new_value) == ({"assigned_to": str(agent.id)}, {"assigned_to": str(other.id)})


def test_one_update_with_edit_assignment_and_status_writes_three_rows_one_version(ctx, make_user):
    manager, agent = make_user(Role.MANAGER), make_user(Role.AGENT)
    task = tasks.create_task(actor=manager, title="Combo")
    tasks.update_task(
        actor=manager, task_id=task.id,
        changes={"title": "Combo 2", "assigned_to": agent.id, "status": TaskStatus.IN_PROGRESS},
    )
    kinds = [r.change_type for r in rows(task.id)]
    assert sorted(kinds[1:]) == sorted([ChangeType.ASSIGNMENT, ChangeType.EDIT, ChangeType.STATUS_CHANGE])
    assert len({r.changed_at for r in rows(task.id)[1:]}) == 1
    assert session.get(Task, task.id).version == 2


def test_no_op_update_writes_nothing(ctx, make_user):
    agent = make_user(Role.AGENT)
    task = tasks.create_task(actor=agent, title="Same")
    tasks.update_task(actor=agent, task_id=task.id, changes={"title": "Same"})
    assert len(rows(task.id)) == 1 and session.get(Task, task.id).version == 1


@pytest.mark.parametrize(
    ("who", "changes", "error"),
    [
        ("other_agent", {"title": "Not mine"}, Forbidden),
        ("viewer", {"title": "Read only"}, Forbidden),
        ("agent", {"title": "Half", "status": TaskStatus.COMPLETED}, InvalidTransition),
        ("agent", {"title": "Half", "assigned_to": "other_agent"}, Forbidden),
        ("manager", {"title": "Half", "assigned_to": "viewer"}, ValidationFailed),
    ],
    ids=["not-owner", "viewer", "bad-move-after-edit", "agent-reassigns", "assign-viewer"],
)
def test_refused_change_leaves_no_row_and_no_change(ctx, make_user, who, changes, error):
    people = {
        "agent": make_user(Role.AGENT), "other_agent": make_user(Role.AGENT),
        "viewer": make_user(Role.VIEWER), "manager": make_user(Role.MANAGER),
    }
    task = tasks.create_task(actor=people["agent"], title="Original", assigned_to=people["agent"].id)
    if "assigned_to" in changes:
        changes = {**changes, "assigned_to": people[changes["assigned_to"]].id}
    with pytest.raises(error):
        tasks.update_task(actor=people[who], task_id=task.id, changes=changes)
    session.expire_all()
    fresh = session.get(Task, task.id)
    assert (fresh.title, fresh.version, fresh.status) == ("Original", 1, TaskStatus.NEW)
    assert len(rows(task.id)) == 1


def test_stale_version_leaves_no_row(ctx, make_user):
    agent = make_user(Role.AGENT)
    task = tasks.create_task(actor=agent, title="V1")
    tasks.update_task(actor=agent, task_id=task.id, changes={"title": "V2"}, expected_version=1)
    with pytest.raises(StaleVersion):
        tasks.update_task(actor=agent, task_id=task.id, changes={"title": "V3"}, expected_version=1)
    assert [r.change_type for r in rows(task.id)] == [ChangeType.CREATION, ChangeType.EDIT]
    assert session.get(Task, task.id).title == "V2"


def test_delete_keeps_history_and_adds_its_row(ctx, make_user):
    manager = make_user(Role.MANAGER)
    task = tasks.create_task(actor=manager, title="Doomed")
    tasks.delete_task(actor=manager, task_id=task.id)
    creation, deletion = rows(task.id)
    assert deletion.change_type == ChangeType.EDIT
    assert deletion.old_value == {"deleted_at": None} and deletion.new_value["deleted_at"]
