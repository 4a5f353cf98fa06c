"""The transition table: every (from, to) pair, allowed and refused, for every role."""
import itertools

import pytest

from db import session
from db.models import ChangeType, Role, Task, TaskHistory, TaskStatus
from domain import rules
from domain.errors import Forbidden, InvalidTransition
from workflow import tasks

S = TaskStatus
ALLOWED_FOR_EVERY_EDITOR = {
    (S.NEW, S.IN_PROGRESS), (S.NEW, S.ON_HOLD), (S.NEW, S.CANCELLED),
    (S.IN_PROGRESS, S.ON_HOLD), (S.IN_PROGRESS, S.COMPLETED), (S.IN_PROGRESS, S.CANCELLED),
    (S.ON_HOLD, S.IN_PROGRESS), (S.ON_HOLD, S.CANCELLED),
}
SUPERVISOR_ONLY = {(S.COMPLETED, S.IN_PROGRESS), (S.CANCELLED, S.NEW)}

# (role, owns the task) -> the moves allowed; owning means created by or assigned to them.
EXPECTED = {
    (Role.ADMIN, False): ALLOWED_FOR_EVERY_EDITOR | SUPERVISOR_ONLY,
    (Role.MANAGER, False): ALLOWED_FOR_EVERY_EDITOR | SUPERVISOR_ONLY,
    (Role.AGENT, True): ALLOWED_FOR_EVERY_EDITOR,
    (Role.AGENT, False): set(),
    (Role.VIEWER, False): set(),
}
PAIRS = list(itertools.product(TaskStatus, TaskStatus))


def _task_in(status: TaskStatus, creator, assignee) -> Task:
    """A task put straight into `status` (the table under test is not used to get there)."""
    task = tasks.create_task(actor=creator, title="Transition subject", assigned_to=assignee.id if assignee else None)
    task.status = status
    session.commit()
    return task


@pytest.mark.parametrize(("role", "owns"), list(EXPECTED), ids=lambda v: getattr(v, "value", str(v)))
@pytest.mark.parametrize(("source", "target"), PAIRS, ids=lambda s: s.value.replace(" ", ""))
def test_transition(ctx, make_user, role, owns, source, target):
    manager = make_user(Role.MANAGER)
    actor = make_user(role)
    task = _task_in(source, manager, actor if owns else None)
    rows_before = session.query(TaskHistory).filter_by(task_id=task.id).count()
    version_before = task.version
    if (source, target) in EXPECTED[(role, owns)]:
        moved = tasks.change_status(actor=actor, task_id=task.id, status=target)
        assert moved.status == target and moved.version == version_before + 1
        last = session.query(TaskHistory).filter_by(task_id=task.id).order_by(TaskHistory.id.desc()).first()
        assert last.change_type == ChangeType.STATUS_CHANGE
        assert (last.old_value, last.new_value) == ({"status": source.value}, {"status": target.value})
    else:
        expected_error = Forbidden if not rules.can_edit_task(actor, task) else InvalidTransition
        with pytest.raises(expected_error) as raised:
            tasks.change_status(actor=actor, task_id=task.id, status=target)
        if expected_error is InvalidTransition:
            assert raised.value.details["allowed"] == [
                s.value for s in TaskStatus if (source, s) in EXPECTED[(role, owns)]
            ]
        session.expire_all()
        assert session.get(Task, task.id).status == source
        assert session.get(Task, task.id).version == version_before
        assert session.query(TaskHistory).filter_by(task_id=task.id).count() == rows_before


def test_table_matches_design():
    """The rule table is exactly DESIGN.md's."""
    assert {(a, b) for a, targets in rules.TRANSITIONS.items() for b in targets} == (
        ALLOWED_FOR_EVERY_EDITOR | SUPERVISOR_ONLY
    )
    assert rules.SUPERVISOR_TRANSITIONS == SUPERVISOR_ONLY
