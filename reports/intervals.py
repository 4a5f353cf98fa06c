"""Status intervals: the single rule for "time in status", derived from TaskHistory.

A task starts in New at its Creation row; each Status Change row ends the interval before it and
starts the next, in the order (changed_at, id), so rows with the same timestamp still have one
order. The last interval of a task is still running (its end is NULL).
"""
from sqlalchemy import Float, Subquery, case, func, literal, select

from db.models import ChangeType, Task, TaskHistory, TaskStatus
from reports.filters import ReportFilters, task_conditions
from reports.sql import epoch_seconds

OPEN_STATUSES = (TaskStatus.NEW.value, TaskStatus.IN_PROGRESS.value, TaskStatus.ON_HOLD.value)


def status_intervals(filters: ReportFilters) -> Subquery:
    """Each stretch of time a task spent in one status, as a subquery (task filters applied, not dates).

    Columns: task_id, priority, assigned_to (current values), step (1 = creation), status,
    from_status (the status before, NULL at creation), start_s, end_s (NULL while current) and
    from_start_s (when the status before began), all moments in epoch seconds.
    """
    status = case(
        (TaskHistory.change_type == ChangeType.CREATION, literal(TaskStatus.NEW.value)),
        else_=TaskHistory.new_value["status"].as_string(),
    )
    started = epoch_seconds(TaskHistory.changed_at)

    def over_task(function):
        return function.over(partition_by=TaskHistory.task_id, order_by=(TaskHistory.changed_at, TaskHistory.id))

    # The task filters go inside, before the windows: they keep or drop whole tasks, so every
    # window over a kept task still sees all its rows, and the database skips the others early.
    return (
        select(
            TaskHistory.task_id,
            Task.priority,
            Task.assigned_to,
            over_task(func.row_number()).label("step"),
            status.label("status"),
            over_task(func.lag(status)).label("from_status"),
            started.label("start_s"),
            over_task(func.lead(started, type_=Float)).label("end_s"),
            over_task(func.lag(started, type_=Float)).label("from_start_s"),
        )
        .join(Task, Task.id == TaskHistory.task_id)
        .where(
            TaskHistory.change_type.in_((ChangeType.CREATION, ChangeType.STATUS_CHANGE)),
            *task_conditions(filters),
        )
        .subquery("intervals")
    )


def task_milestones(filters: ReportFilters) -> Subquery:
    """Per task: created_s, first started_s (first In Progress), status now and since_s (when it entered it)."""
    intervals = status_intervals(filters)
    current = intervals.c.end_s.is_(None)
    return (
        select(
            intervals.c.task_id,
            intervals.c.priority,
            intervals.c.assigned_to,
            func.min(intervals.c.start_s).label("created_s"),
            func.min(case((intervals.c.status == TaskStatus.IN_PROGRESS.value, intervals.c.start_s))).label("started_s"),
            func.max(case((current, intervals.c.status))).label("status"),
            func.max(case((current, intervals.c.start_s))).label("since_s"),
        )
        .group_by(intervals.c.task_id, intervals.c.priority, intervals.c.assigned_to)
        .subquery("milestones")
    )
