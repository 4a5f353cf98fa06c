"""Drill-through: the tasks behind one element of a figure, as ids the portal opens as a task list.

Each function selects with the same subqueries as the metric it drills into, so the list always
matches the number shown. A bar or point is named by narrowing the figure's filters: see
`narrowed`. Ids come in id order (creation order), at most `limit` of them.
"""
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import ColumnElement, Select, and_, func, or_, select

from db import session
from db.models import Priority, Task, TaskStatus
from domain.filters import TaskFilters
from domain.rules import OPEN_STATUSES
from reports import flow, policy, sla, workload
from reports.filters import epoch_in_range, in_range
from reports.intervals import status_intervals
from reports.sql import now_or, seconds

DEFAULT_LIMIT = 500


def narrowed(
    filters: TaskFilters,
    *,
    week: date | None = None,
    day: date | None = None,
    assigned_to: uuid.UUID | str | None = None,
    priority: Priority | None = None,
    department: str | None = None,
) -> TaskFilters:
    """The filters of a figure narrowed to one bar: a week (its Monday) or a day becomes the date range."""
    changes = {}
    if week is not None or day is not None:
        start = datetime.combine(week or day, time(), tzinfo=timezone.utc)
        changes.update(date_from=start, date_to=start + timedelta(days=7 if week is not None else 1))
    for name, value in (("assigned_to", assigned_to), ("priority", priority), ("department", department)):
        if value is not None:
            changes[name] = value
    return replace(filters, **changes)


@dataclass(frozen=True)
class Drill:
    """The tasks behind one figure element: how many there are, and their ids a page at a time in id order."""

    statement: Select
    id_column: ColumnElement

    def page(self, limit: int = DEFAULT_LIMIT, after: uuid.UUID | None = None) -> list[uuid.UUID]:
        """Up to `limit` ids, the first ones or those after `after`."""
        statement = self.statement if after is None else self.statement.where(self.id_column > after)
        return list(session.scalars(statement.order_by(self.id_column).limit(limit)))

    def total(self) -> int:
        """How many tasks there are in all."""
        return int(session.scalar(select(func.count()).select_from(self.statement.subquery())) or 0)


def sla_tasks(*, filters: TaskFilters, outcome: str, now: datetime | None = None) -> Drill:
    """Tasks behind an SLA figure: `met` or `breached` as compliance counts them, or `at_risk` as the watchlist lists them."""
    now = now_or(now)
    targets = policy.get_targets()
    if outcome == sla.AT_RISK:
        # Only open tasks can be at risk: the others' clocks (most of the tasks) are not computed.
        outcomes = sla.task_outcomes(filters, targets, now, statuses=OPEN_STATUSES)
        statement = (
            select(outcomes.c.task_id)
            .where(outcomes.c.outcome == sla.AT_RISK, *in_range(outcomes.c.created_at, filters))
        )
        return Drill(statement, outcomes.c.task_id)
    if outcome not in (sla.MET, sla.BREACHED):
        raise ValueError(f"unknown SLA outcome {outcome!r}")
    outcomes, conditions = sla.decided_outcomes(filters, targets, now)
    return Drill(select(outcomes.c.task_id).where(outcomes.c.outcome == outcome, *conditions), outcomes.c.task_id)


def transition_tasks(*, filters: TaskFilters, from_status: str, to_status: str) -> Drill:
    """Tasks that moved from one status to another in the period (a Sankey link or a matrix cell)."""
    intervals = status_intervals(filters)
    statement = (
        select(intervals.c.task_id)
        .where(
            intervals.c.from_status == TaskStatus(from_status),
            intervals.c.status == TaskStatus(to_status),
            *epoch_in_range(intervals.c.start_s, filters),
        )
        .distinct()
    )
    return Drill(statement, intervals.c.task_id)


def reworked_tasks(*, filters: TaskFilters, kind: str) -> Drill:
    """Tasks behind a rework bar: `reopened` (moved back from Completed) or `handed_back` (ping-pong) in the period."""
    events = {"reopened": flow.reopen_events, "handed_back": flow.hand_back_events}[kind](filters).subquery("events")
    return Drill(select(events.c.task_id).distinct(), events.c.task_id)


def left_status_tasks(*, filters: TaskFilters, status: str) -> Drill:
    """Tasks behind a time-in-status bar: those whose stay in `status` ended in the period."""
    intervals = status_intervals(filters)
    statement = (
        select(intervals.c.task_id)
        .where(intervals.c.status == TaskStatus(status), intervals.c.end_s.is_not(None),
               *epoch_in_range(intervals.c.end_s, filters))
        .distinct()
    )
    return Drill(statement, intervals.c.task_id)


def open_tasks(*, filters: TaskFilters, now: datetime | None = None, overdue_only: bool = False) -> Drill:
    """Open tasks behind a workload bar (narrow the filters to its assignee and priority), or only the overdue ones."""
    statement = select(Task.id).where(*workload.open_task_conditions(filters))
    if overdue_only:
        statement = statement.where(Task.due_date < now_or(now))
    return Drill(statement, Task.id)


def completed_tasks(*, filters: TaskFilters) -> Drill:
    """Tasks behind a throughput bar or the cycle-time chart: completed (last time) in the period."""
    completed = flow.completed_tasks(filters)
    return Drill(select(completed.c.task_id), completed.c.task_id)


def status_on_day_tasks(*, filters: TaskFilters, day: date, status: str) -> Drill:
    """Tasks behind a cumulative-flow point: those in `status` at the end of `day` (UTC)."""
    day_end = seconds(datetime.combine(day, time(), tzinfo=timezone.utc) + timedelta(days=1))
    intervals = status_intervals(filters)
    statement = select(intervals.c.task_id).where(
        intervals.c.status == TaskStatus(status),
        and_(intervals.c.start_s < day_end, or_(intervals.c.end_s.is_(None), intervals.c.end_s >= day_end)),
    )
    return Drill(statement, intervals.c.task_id)



def one_task(task_id: uuid.UUID) -> Drill:
    """A single task (a point of a scatter chart), if it is still there."""
    return Drill(select(Task.id).where(Task.id == task_id, Task.deleted_at.is_(None)), Task.id)
