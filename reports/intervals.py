"""Status intervals and per-task milestones, as the reports read them (kept by db/status_intervals.py).

Moments come out in epoch seconds (reports.sql) so durations are plain arithmetic.
"""
from sqlalchemy import Subquery, select

from db.models import Task, TaskStatusInterval
from db.types import epoch_seconds
from domain.filters import TaskFilters
from reports.filters import task_conditions, task_scope
from reports.sql import as_text


def status_intervals(filters: TaskFilters) -> Subquery:
    """Each stretch of time a task spent in one status, as a subquery (task filters applied, not dates).

    Columns: task_id, step (1 = creation), status, from_status (the status before, NULL at
    creation), start_s, end_s (NULL while current), from_start_s (when the status before began)
    and clock_before_s (SLA clock seconds used before this stretch).
    """
    interval = TaskStatusInterval
    return (
        select(
            interval.task_id,
            interval.step,
            # Enums, not text: grouping and sorting millions of rows by a 4-byte enum is much cheaper.
            interval.status,
            interval.from_status,
            epoch_seconds(interval.started_at).label("start_s"),
            epoch_seconds(interval.ended_at).label("end_s"),
            epoch_seconds(interval.from_started_at).label("from_start_s"),
            interval.clock_before_s,
        )
        .where(*task_scope(interval.task_id, filters))
        .subquery("intervals")
    )


def task_milestones(filters: TaskFilters) -> Subquery:
    """Per task: title, created_at, priority, assigned_to, created_s, first started_s (first In Progress), status now and since_s (when it entered it)."""
    return (
        select(
            Task.id.label("task_id"),
            Task.title,
            Task.created_at,
            Task.priority,
            Task.assigned_to,
            epoch_seconds(Task.created_at).label("created_s"),
            epoch_seconds(Task.first_started_at).label("started_s"),
            as_text(Task.status).label("status"),
            epoch_seconds(Task.status_since).label("since_s"),
        )
        .where(*task_conditions(filters))
        .subquery("milestones")
    )
