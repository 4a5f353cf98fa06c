"""TaskFilters (domain/filters.py) in SQL: the WHERE conditions on `tasks`, the task list's SELECT and sort keys,
the same filters on tables beside `tasks`, and the reports' date range."""
from sqlalchemy import ColumnElement, Integer, Select, literal_column, or_, select

from db import session
from db.models import PRIORITY_RANK_SQL, STATUS_RANK_SQL, Task, User
from db.pagination import SortKey, datetime_key, int_key, text_key
from db.types import contains_pattern, list_contains
from domain.filters import SORT_FIELDS, UNASSIGNED, TaskFilters, has_task_filters


def task_conditions(filters: TaskFilters) -> list[ColumnElement]:
    """WHERE conditions on `tasks` for the task filters (not the date range); deleted tasks never match."""
    conditions = [Task.deleted_at.is_(None)]
    if filters.status is not None:
        conditions.append(Task.status == filters.status)
    if filters.priority is not None:
        conditions.append(Task.priority == filters.priority)
    if filters.assigned_to == UNASSIGNED:
        conditions.append(Task.assigned_to.is_(None))
    elif filters.assigned_to is not None:
        conditions.append(Task.assigned_to == filters.assigned_to)
    if filters.created_by is not None:
        conditions.append(Task.created_by == filters.created_by)
    if filters.case_id is not None:
        conditions.append(Task.case_id == filters.case_id)
    if filters.department is not None:
        conditions.append(Task.assigned_to.in_(select(User.id).where(User.department == filters.department)))
    if filters.tag is not None:
        dialect = session().get_bind().dialect.name
        conditions.append(list_contains(Task.tags, filters.tag, dialect))
    if filters.q:
        pattern = contains_pattern(filters.q)
        conditions.append(or_(Task.title.ilike(pattern, escape="\\"), Task.description.ilike(pattern, escape="\\")))
    if filters.due_before is not None:
        conditions.append(Task.due_date < filters.due_before)
    if filters.due_after is not None:
        conditions.append(Task.due_date >= filters.due_after)
    return conditions


#: What a listed task shows: every column but the ones the workflow derives for the reports
#: (status clock, SLA clock and due moment) and the deletion mark (listed tasks are live).
LISTED_COLUMNS = tuple(column for column in Task.__table__.columns if column.name not in {
    "deleted_at", "status_since", "first_started_at", "sla_clock_s", "status_since_w", "sla_work_clock_s",
    "sla_due_s"})


def filtered_statement(filters: TaskFilters) -> Select:
    """SELECT of the listed columns of live tasks matching `filters` (shared by the list, counts and exports).

    Plain rows, not ORM objects: lists are read-only and rows cost a third as much to load.
    """
    return select(*LISTED_COLUMNS).where(*task_conditions(filters))


#: Ranks so that priority and status sort in their natural order on every backend (indexed).
PRIORITY_RANK = literal_column(PRIORITY_RANK_SQL, Integer)
STATUS_RANK = literal_column(STATUS_RANK_SQL, Integer)

SORT_KEYS: dict[str, SortKey] = {
    "created_at": datetime_key(Task.created_at),
    "updated_at": datetime_key(Task.updated_at),
    "due_date": datetime_key(Task.due_date, nullable=True),
    "title": text_key(Task.title),
    "priority": int_key(PRIORITY_RANK),
    "status": int_key(STATUS_RANK),
}
assert tuple(SORT_KEYS) == SORT_FIELDS  # one key per field the list may sort on




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
