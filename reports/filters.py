"""ReportFilters: the one set of filters every analytics function takes."""
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select

from db import session
from db.models import Priority, Task, User
from db.types import list_contains

#: `assigned_to=none` selects unassigned tasks, as in the task list.
UNASSIGNED = "none"


@dataclass(frozen=True)
class ReportFilters:
    """What a report is narrowed to; None means no filter.

    The task filters (department, assigned_to, priority, tag) look at a task's current values; the
    department is the current assignee's. The date range, from `date_from` (included) to `date_to`
    (excluded), selects by the moment each metric's definition names: a completion, a transition,
    an SLA decision, or the task's creation for lists of open work.
    """

    date_from: datetime | None = None
    date_to: datetime | None = None
    department: str | None = None
    assigned_to: uuid.UUID | str | None = None
    priority: Priority | None = None
    tag: str | None = None


def task_conditions(filters: ReportFilters) -> list[ColumnElement]:
    """WHERE conditions on `tasks` for the task filters; deleted tasks are never counted."""
    conditions = [Task.deleted_at.is_(None)]
    if filters.priority is not None:
        conditions.append(Task.priority == filters.priority)
    if filters.assigned_to == UNASSIGNED:
        conditions.append(Task.assigned_to.is_(None))
    elif filters.assigned_to is not None:
        conditions.append(Task.assigned_to == filters.assigned_to)
    if filters.department is not None:
        conditions.append(Task.assigned_to.in_(select(User.id).where(User.department == filters.department)))
    if filters.tag is not None:
        dialect = session().get_bind().dialect.name
        conditions.append(list_contains(Task.tags, filters.tag, dialect))
    return conditions


def has_task_filters(filters: ReportFilters) -> bool:
    """Whether any task filter (not the date range) is set."""
    return any(value is not None for value in (filters.department, filters.assigned_to, filters.priority, filters.tag))


def task_scope(task_id, filters: ReportFilters) -> list[ColumnElement]:
    """WHERE conditions that a `task_id` column names a task the filters keep (rows of tables beside `tasks`)."""
    if not has_task_filters(filters):
        # Only the deleted tasks are left out: checking those few beats joining every task.
        return [task_id.not_in(select(Task.id).where(Task.deleted_at.is_not(None)))]
    return [task_id.in_(select(Task.id).where(*task_conditions(filters)))]


def epoch_in_range(epoch_seconds, filters: ReportFilters) -> list[ColumnElement]:
    """Conditions that a moment, in seconds since 1970 UTC, lies in the date range."""
    conditions = []
    if filters.date_from is not None:
        conditions.append(epoch_seconds >= filters.date_from.timestamp())
    if filters.date_to is not None:
        conditions.append(epoch_seconds < filters.date_to.timestamp())
    return conditions


def in_range(column, filters: ReportFilters) -> list[ColumnElement]:
    """Conditions that a UTCDateTime column lies in the date range."""
    conditions = []
    if filters.date_from is not None:
        conditions.append(column >= filters.date_from)
    if filters.date_to is not None:
        conditions.append(column < filters.date_to)
    return conditions


def created_in_range(filters: ReportFilters) -> list[ColumnElement]:
    """Conditions that a task was created in the date range (for lists of open work)."""
    return in_range(Task.created_at, filters)
