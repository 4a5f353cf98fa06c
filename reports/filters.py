"""The date range of the reports, and the task filters applied to tables beside `tasks`."""
from sqlalchemy import ColumnElement, select

from db.models import Task
from domain.filters import TaskFilters, has_task_filters, task_conditions


def task_scope(task_id, filters: TaskFilters) -> list[ColumnElement]:
    """WHERE conditions that a `task_id` column names a task the filters keep (rows of tables beside `tasks`)."""
    if not has_task_filters(filters):
        # Only the deleted tasks are left out: checking those few beats joining every task.
        return [task_id.not_in(select(Task.id).where(Task.deleted_at.is_not(None)))]
    return [task_id.in_(select(Task.id).where(*task_conditions(filters)))]


def epoch_in_range(epoch_seconds, filters: TaskFilters) -> list[ColumnElement]:
    """Conditions that a moment, in seconds since 1970 UTC, lies in the date range."""
    conditions = []
    if filters.date_from is not None:
        conditions.append(epoch_seconds >= filters.date_from.timestamp())
    if filters.date_to is not None:
        conditions.append(epoch_seconds < filters.date_to.timestamp())
    return conditions


def in_range(column, filters: TaskFilters) -> list[ColumnElement]:
    """Conditions that a UTCDateTime column lies in the date range."""
    conditions = []
    if filters.date_from is not None:
        conditions.append(column >= filters.date_from)
    if filters.date_to is not None:
        conditions.append(column < filters.date_to)
    return conditions


def created_in_range(filters: TaskFilters) -> list[ColumnElement]:
    """Conditions that a task was created in the date range (for lists of open work)."""
    return in_range(Task.created_at, filters)
