"""Status intervals: the one rule for "time in status" and the SLA clock, kept as rows.

A task starts in New at its creation; each status change ends the current interval and starts
the next, in the order (changed_at, id), so changes at the same moment still have one order. The
SLA clock runs while a task is New or In Progress, pauses On Hold and stops at Completed or
Cancelled (it runs again if the task is reopened).

The workflow writes the intervals with every change (`record_creation`, `record_move`), in the
change's transaction, and keeps columns of the task with them (`status_since`,
`first_started_at`, `sla_clock_s`): reports then aggregate narrow rows instead of replaying the
whole history with window functions. `rebuild` derives the same rows from TaskHistory, for the
migration that introduced them, bulk loads and repairs.

Business hours: each moment is also kept as its working coordinate on the business-hours
calendar (working seconds since 2000-01-01T00:00Z, read from `sla_calendar_spans` in SQL), with
the working-time clock beside the wall clock. When the calendar changes, its spans are replaced
and a background job re-derives those columns (`rederive_working_time`), batch by batch.
"""
import uuid
from bisect import bisect_right
from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import Connection, Float, case, cast, delete, func, insert, literal, or_, select, update

from db.models import ChangeType, SlaCalendarSpan, Task, TaskHistory, TaskStatus, TaskStatusInterval
from db.types import epoch_seconds

#: The statuses in which the SLA clock runs.
CLOCK_STATUSES = (TaskStatus.NEW, TaskStatus.IN_PROGRESS)


def reopens(interval) -> list:
    """SQL conditions on a TaskStatusInterval (or an alias of it): the stretch reopens its task, back to In
    Progress from Completed."""
    return [interval.from_status == TaskStatus.COMPLETED, interval.status == TaskStatus.IN_PROGRESS]


def clock_part(status: TaskStatus, started_at: datetime, ended_at: datetime) -> float:
    """SLA clock seconds an interval adds: its length if the clock runs in its status, else 0."""
    return (ended_at - started_at).total_seconds() if status in CLOCK_STATUSES else 0.0


def working_coordinate(moment_s):
    """SQL: the working coordinate of a moment given in epoch seconds (0 before the first span)."""
    span = SlaCalendarSpan
    within = case((moment_s >= span.end_s, span.end_s - span.start_s), else_=moment_s - span.start_s)
    found = select(span.before_w + within).where(span.start_s <= moment_s).order_by(span.start_s.desc()).limit(1)
    return func.coalesce(found.scalar_subquery(), literal(0.0, Float))


def span_coordinates(spans: Iterable[tuple[float, float, float]]) -> Callable[[float], float]:
    """`working_coordinate` in Python over the stored spans (start_s, end_s, before_w), for bulk loads.

    The same rule over the same rows with the same arithmetic, so both give the same number.
    """
    spans = sorted(spans)
    starts = [start for start, _end, _before in spans]

    def coordinate(moment_s: float) -> float:
        index = bisect_right(starts, moment_s) - 1
        if index < 0:
            return 0.0
        start, end, before = spans[index]
        return before + (end - start if moment_s >= end else moment_s - start)

    return coordinate


def moment_at(coordinate):
    """SQL: the earliest moment, in epoch seconds, whose working coordinate is `coordinate` (> 0)."""
    span = SlaCalendarSpan
    found = select(span.start_s + (coordinate - span.before_w)).where(span.before_w < coordinate)
    return found.order_by(span.before_w.desc()).limit(1).scalar_subquery()


def _at(moment: datetime):
    return working_coordinate(cast(literal(moment.timestamp()), Float))


def record_creation(session, task: Task, at: datetime) -> None:
    """The first interval of a new task (New, from its creation), in the caller's transaction."""
    task.status_since = at
    task.sla_clock_s = 0.0
    task.status_since_w = _at(at)  # SQL expressions: evaluated in the INSERT, no extra round trip
    task.sla_work_clock_s = 0.0
    session.add(TaskStatusInterval(task_id=task.id, step=1, status=TaskStatus.NEW, from_status=None,
                                   started_at=at, ended_at=None, from_started_at=None, clock_before_s=0.0,
                                   started_w=_at(at), ended_w=None, work_clock_before_s=0.0))


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
    current.ended_w = _at(at)
    clock = current.clock_before_s + clock_part(old, current.started_at, at)
    work_clock = literal(current.work_clock_before_s, Float)
    if old in CLOCK_STATUSES:
        work_clock = work_clock + _at(at) - literal(current.started_w, Float)
    session.add(TaskStatusInterval(task_id=task.id, step=current.step + 1, status=new, from_status=old,
                                   started_at=at, ended_at=None, from_started_at=current.started_at,
                                   clock_before_s=clock, started_w=_at(at), ended_w=None,
                                   work_clock_before_s=work_clock))
    task.status_since = at
    task.sla_clock_s = clock
    task.status_since_w = _at(at)
    task.sla_work_clock_s = work_clock
    if new == TaskStatus.IN_PROGRESS and task.first_started_at is None:
        task.first_started_at = at


def rebuild(connection: Connection, task_ids: Iterable[uuid.UUID] | None = None) -> None:
    """Derive the intervals and the task columns from TaskHistory, for every task or for `task_ids`.

    Three statements whatever the number of tasks: the database does the work. Migration 0013
    runs this on upgrade; a later change to the columns written here must give that migration
    its own copy of today's statements.
    """
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
    stretches = select(
        moves,
        working_coordinate(epoch_seconds(moves.c.started_at)).label("started_w"),
        case((moves.c.ended_at.is_not(None), working_coordinate(epoch_seconds(moves.c.ended_at)))).label("ended_w"),
    ).subquery("stretches")
    running = stretches.c.status.in_([status.value for status in CLOCK_STATUSES])
    ended = stretches.c.ended_at.is_not(None)
    wall = case((running & ended, epoch_seconds(stretches.c.ended_at) - epoch_seconds(stretches.c.started_at)),
                else_=literal(0.0, Float))
    work = case((running & ended, stretches.c.ended_w - stretches.c.started_w), else_=literal(0.0, Float))

    def used_before(part):
        return _sum_before(part, stretches.c.task_id, stretches.c.step)

    # History keeps statuses as JSON text; PostgreSQL wants them cast to its enum type.
    status_type = TaskStatusInterval.__table__.c.status.type
    columns = ("task_id", "step", "status", "from_status", "started_at", "ended_at", "from_started_at", "clock_before_s",
               "started_w", "ended_w", "work_clock_before_s")
    connection.execute(
        insert(TaskStatusInterval).from_select(
            columns,
            select(stretches.c.task_id, stretches.c.step, cast(stretches.c.status, status_type),
                   cast(stretches.c.from_status, status_type), stretches.c.started_at, stretches.c.ended_at,
                   stretches.c.from_started_at, used_before(wall), stretches.c.started_w, stretches.c.ended_w,
                   used_before(work)),
        )
    )
    if connection.dialect.name == "postgresql":
        # Statistics of the rows just written: without them the planner takes the table for empty.
        connection.exec_driver_sql("ANALYZE task_status_intervals")
    # One pass over the intervals grouped by task (a join, not a lookup per task): each task's
    # current stretch and its first In Progress.
    interval = TaskStatusInterval
    current = interval.ended_at.is_(None)

    def of_current(column):
        return func.max(case((current, column)))

    per_task = (
        select(
            interval.task_id,
            of_current(interval.started_at).label("since"),
            of_current(interval.clock_before_s).label("clock"),
            of_current(interval.started_w).label("since_w"),
            of_current(interval.work_clock_before_s).label("work_clock"),
            func.min(case((interval.status == TaskStatus.IN_PROGRESS, interval.started_at))).label("first_started"),
        )
        .where(*only(interval.task_id))
        .group_by(interval.task_id)
        .subquery("per_task")
    )
    connection.execute(
        update(Task)
        .where(Task.id == per_task.c.task_id)
        .values(status_since=per_task.c.since, sla_clock_s=func.coalesce(per_task.c.clock, 0.0),
                first_started_at=per_task.c.first_started, status_since_w=per_task.c.since_w,
                sla_work_clock_s=func.coalesce(per_task.c.work_clock, 0.0))
        .execution_options(synchronize_session=False)
    )


def replace_spans(connection: Connection, spans: Iterable[tuple[float, float, float]]) -> None:
    """Store the calendar's working spans (start_s, end_s, before_w), replacing the ones there."""
    connection.execute(delete(SlaCalendarSpan))
    rows = [{"start_s": start, "end_s": end, "before_w": before} for start, end, before in spans]
    if rows:
        connection.execute(insert(SlaCalendarSpan), rows)


def rederive_working_time(connection: Connection, task_ids: Iterable[uuid.UUID] | None = None) -> None:
    """Re-derive the working-time columns of every task, or of `task_ids`, on the stored spans (after a calendar change).

    Two statements: the intervals' coordinates and clocks in one pass (a window sum over each
    task's steps), then the tasks' columns from their current intervals. The background job runs
    it for one batch of tasks per transaction, so task changes wait for a batch at most.
    """
    chosen = list(task_ids) if task_ids is not None else None
    only = (lambda column: [column.in_(chosen)]) if chosen is not None else (lambda column: [])
    interval = TaskStatusInterval
    moments = (
        select(interval.task_id, interval.step, interval.status,
               working_coordinate(epoch_seconds(interval.started_at)).label("started_w"),
               case((interval.ended_at.is_not(None), working_coordinate(epoch_seconds(interval.ended_at))))
               .label("ended_w"))
        .where(*only(interval.task_id))
        # Materialised: inlined, PostgreSQL would look up each coordinate once per use below.
        .cte("moments").prefix_with("MATERIALIZED", dialect="postgresql")
    )
    used = case((moments.c.status.in_(CLOCK_STATUSES) & moments.c.ended_w.is_not(None),
                 moments.c.ended_w - moments.c.started_w), else_=literal(0.0, Float))
    derived = select(moments.c.task_id, moments.c.step, moments.c.started_w, moments.c.ended_w,
                     _sum_before(used, moments.c.task_id, moments.c.step).label("before")).subquery("derived")
    connection.execute(
        update(interval)
        .where(interval.task_id == derived.c.task_id, interval.step == derived.c.step,
               # A calendar change moves only the moments after it: the rows before it are not rewritten.
               or_(interval.started_w.is_distinct_from(derived.c.started_w),
                   interval.ended_w.is_distinct_from(derived.c.ended_w),
                   interval.work_clock_before_s.is_distinct_from(derived.c.before)))
        .values(started_w=derived.c.started_w, ended_w=derived.c.ended_w, work_clock_before_s=derived.c.before)
        .execution_options(synchronize_session=False)
    )
    current = (select(interval.task_id, interval.started_w, interval.work_clock_before_s)
               .where(interval.ended_at.is_(None), *only(interval.task_id)).subquery("current"))
    connection.execute(
        update(Task)
        .where(Task.id == current.c.task_id,
               or_(Task.status_since_w.is_distinct_from(current.c.started_w),
                   Task.sla_work_clock_s.is_distinct_from(func.coalesce(current.c.work_clock_before_s, 0.0))))
        .values(status_since_w=current.c.started_w, sla_work_clock_s=func.coalesce(current.c.work_clock_before_s, 0.0))
        .execution_options(synchronize_session=False)
    )


def _sum_before(part, task_id, step):
    """SQL: the sum of `part` over the task's earlier steps (a window over each task's intervals)."""
    return func.coalesce(func.sum(part).over(partition_by=task_id, order_by=step) - part, literal(0.0, Float))
