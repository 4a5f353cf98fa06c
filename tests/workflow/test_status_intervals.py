"""The status intervals the workflow keeps with each change are the ones the history derives."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from db import session, status_intervals
from db.models import Role, Task, TaskStatus, TaskStatusInterval
from domain.errors import InvalidTransition
from workflow import tasks

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock(monkeypatch):
    """The workflow's clock, moved by hand: `clock.at(hours after T0)`."""

    class Clock:
        now = T0

        def at(self, hours: float) -> None:
            self.now = T0 + timedelta(hours=hours)

    chosen = Clock()
    monkeypatch.setattr(tasks, "utcnow", lambda: chosen.now)
    return chosen


def kept(task_id):
    """The task's intervals and status columns as stored."""
    rows = session.execute(
        select(TaskStatusInterval.step, TaskStatusInterval.status, TaskStatusInterval.from_status,
               TaskStatusInterval.started_at, TaskStatusInterval.ended_at, TaskStatusInterval.from_started_at,
               TaskStatusInterval.clock_before_s)
        .where(TaskStatusInterval.task_id == task_id).order_by(TaskStatusInterval.step)
    ).all()
    columns = session.execute(
        select(Task.status_since, Task.first_started_at, Task.sla_clock_s).where(Task.id == task_id)
    ).one()
    return [tuple(row) for row in rows], tuple(columns)


def test_each_move_ends_one_interval_starts_the_next_and_keeps_the_clock(ctx, make_user, clock):
    manager = make_user(Role.MANAGER)  # managers may also reopen
    task = tasks.create_task(actor=manager, title="intervals")
    for hours, status in [(1, "In Progress"), (3, "On Hold"), (13, "In Progress"), (14, "Completed"), (20, "In Progress")]:
        clock.at(hours)
        tasks.change_status(actor=manager, task_id=task.id, status=TaskStatus(status))
    session.expire_all()
    rows, columns = kept(task.id)
    hour = timedelta(hours=1)
    assert [(step, status.value, clock_before / 3600) for step, status, _, _, _, _, clock_before in rows] == [
        (1, "New", 0), (2, "In Progress", 1), (3, "On Hold", 3), (4, "In Progress", 3), (5, "Completed", 4),
        (6, "In Progress", 4),
    ]
    assert rows[2][3:6] == (T0 + 3 * hour, T0 + 13 * hour, T0 + hour)
    assert rows[-1][4] is None
    # Clock before the current stretch: 1 h New + 2 h In Progress + 1 h In Progress; paused On Hold and Completed.
    assert columns == (T0 + 20 * hour, T0 + hour, 4 * 3600.0)


def test_what_the_workflow_keeps_equals_what_the_history_derives(ctx, make_user, clock):
    manager = make_user(Role.MANAGER)
    made = []
    paths = [[], ["In Progress"], ["On Hold", "In Progress", "Completed"], ["In Progress", "Completed", "In Progress"],
             ["Cancelled"], ["In Progress", "In Progress"]]
    for number, path in enumerate(paths):
        clock.at(number)
        task = tasks.create_task(actor=manager, title=f"path {number}")
        for step, status in enumerate(path, start=1):
            clock.at(number + step * 1.5)
            try:
                tasks.change_status(actor=manager, task_id=task.id, status=TaskStatus(status))
            except InvalidTransition:
                pass  # refused moves leave no interval behind either
        made.append(task.id)
    session.expire_all()
    kept_by_workflow = [kept(task_id) for task_id in made]
    status_intervals.rebuild(session.connection(), made)
    session.expire_all()
    assert [kept(task_id) for task_id in made] == kept_by_workflow
