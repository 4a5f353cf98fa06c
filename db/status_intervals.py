"""Status intervals: the one rule for "time in status" and the SLA clock, kept as rows.

A task starts in New at its creation; each status change ends the current interval and starts
the next, in the order (changed_at, id), so changes at the same moment still have one order. The
SLA clock runs while a task is New or In Progress, pauses On Hold and stops at Completed or
Cancelled (it runs again if the task is reopened).

The workflow writes the intervals with every change (`record_creation`, `record_move`), in the
change's transaction, and keeps three columns of the task with them (`status_since`,
`first_started_at`, `sla_clock_s`): reports then aggregate narrow rows instead of replaying the
whole history with window functions. `rebuild` derives the same rows from TaskHistory, for the
migration that introduced them, bulk loads and repairs.
"""
import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, Float, case, cast, delete, func, insert, literal, select, update

from db.models import ChangeType, Task, TaskHistory, TaskStatus, TaskStatusInterval

#: The statuses in which the SLA clock runs.
CLOCK_STATUSES = (TaskStatus.NEW, TaskStatus.IN_PROGRESS)


def clock_part(status: TaskStatus, started_at: datetime, ended_at: datetime) -> float:
    """SLA clock seconds an interval adds: its length if the clock runs in its status, else 0."""
    return (ended_at - started_at).total_seconds() if status in CLOCK_STATUSES else 0.0


def record_creation(session, task: Task, at: datetime) -> None:
    """The first interval of a new task (New, from its creation), in the caller's transaction."""
    task.status_since = at
    task.sla_clock_s = 0.0
    session.add(TaskStatusInterval(task_id=task.id, step=1, status=TaskStatus.NEW, from_status=None,
                                   started_at=at, ended_at=None, from_started_at=None, clock_before_s=0.0))


def record_move(session, task: Task, old: TaskStatus, new: TaskStatus, at: datetime) -> None:
    """End the task's current interval at `at` and start one in `new`; update the task's columns."""
    # No autoflush: flushing the half-made change here would spend a second version on it. The
    # task's versioned UPDATE is flushed before these rows (they refer to it), so of two racing
    # moves the loser fails on the version and writes no interval.
    with session.no_autoflush:
        current = session.scalars(
            select(TaskStatusInterval).where(TaskStatusInterval.task_id == task.id, TaskStatusInterval.ended_at.is_(None))
        ).one()
    current.ended_at = at
    clock = current.clock_before_s + clock_part(old, current.started_at, at)
    session.add(TaskStatusInterval(task_id=task.id, step=current.step + 1, status=new, from_status=old,
                                   started_at=at, ended_at=None, from_started_at=current.started_at,
                                   clock_before_s=clock))
    task.status_since = at
    task.sla_clock_s = clock
    if new == TaskStatus.IN_PROGRESS and task.first_started_at is None:
        task.first_started_at = at


def _epoch(column, dialect: str):
    if dialect == "postgresql":
        return func.date_part("epoch", column)
    return func.round((func.julianday(column) - 2440587.5) * 86400.0, 3)


def rebuild(connection: Connection, task_ids: Iterable[uuid.UUID] | None = None) -> None:
    """Derive the intervals and the task columns from TaskHistory, for every task or for `task_ids`.

    Three statements whatever the number of tasks: the database does the work.
    """
    dialect = connection.dialect.name
    chosen = list(task_ids) if task_ids is not None else None
    only = (lambda column: [column.in_(chosen)]) if chosen is not None else (lambda column: [])
    connection.execute(delete(TaskStatusInterval).where(*only(TaskStatusInterval.task_id)))

    status = case(
        (TaskHistory.change_type == ChangeType.CREATION, literal(TaskStatus.NEW.value)),
        else_=TaskHistory.new_value["status"].as_string(),
    )

    def over_task(function):
        return function.over(partition_by=TaskHistory.task_id, order_by=(TaskHistory.changed_at, TaskHistory.id))

    moves = (
        select(
            TaskHistory.task_id,
            over_task(func.row_number()).label("step"),
            status.label("status"),
            over_task(func.lag(status)).label("from_status"),
            TaskHistory.changed_at.label("started_at"),
            over_task(func.lead(TaskHistory.changed_at)).label("ended_at"),
            over_task(func.lag(TaskHistory.changed_at)).label("from_started_at"),
        )
        .where(TaskHistory.change_type.in_((ChangeType.CREATION, ChangeType.STATUS_CHANGE)),
               *only(TaskHistory.task_id))
        .subquery("moves")
    )
    running = moves.c.status.in_([status.value for status in CLOCK_STATUSES])
    part = case((running & moves.c.ended_at.is_not(None),
                 _epoch(moves.c.ended_at, dialect) - _epoch(moves.c.started_at, dialect)), else_=literal(0.0, Float))
    before = func.coalesce(
        func.sum(part).over(partition_by=moves.c.task_id, order_by=moves.c.step) - part, literal(0.0, Float)
    )
    # History keeps statuses as JSON text; PostgreSQL wants them cast to its enum type.
    status_type = TaskStatusInterval.__table__.c.status.type
    columns = ("task_id", "step", "status", "from_status", "started_at", "ended_at", "from_started_at", "clock_before_s")
    connection.execute(
        insert(TaskStatusInterval).from_select(
            columns,
            select(moves.c.task_id, moves.c.step, cast(moves.c.status, status_type),
                   cast(moves.c.from_status, status_type), moves.c.started_at,
                   moves.c.ended_at, moves.c.from_started_at, before),
        )
    )
    interval = TaskStatusInterval
    current = select(interval).where(interval.task_id == Task.id, interval.ended_at.is_(None))
    connection.execute(
        update(Task)
        .where(*only(Task.id))
        .values(
            status_since=current.with_only_columns(interval.started_at).scalar_subquery(),
            sla_clock_s=func.coalesce(current.with_only_columns(interval.clock_before_s).scalar_subquery(), 0.0),
            first_started_at=select(func.min(interval.started_at))
            .where(interval.task_id == Task.id, interval.status == TaskStatus.IN_PROGRESS)
            .scalar_subquery(),
        )
        .execution_options(synchronize_session=False)
    )
