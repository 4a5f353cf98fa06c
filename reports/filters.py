"""TaskFilters (domain/filters.py) in SQL: the WHERE conditions on `tasks`, the task list's SELECT and sort keys,
the same filters on tables beside `tasks`, and the reports' date range."""
from typing import Any, Callable

from sqlalchemy import (
    ColumnElement,
    Enum,
    Integer,
    Select,
    String,
    Uuid,
    bindparam,
    literal_column,
    or_,
    select,
    type_coerce,
)

from db import session
from db.models import PRIORITY_RANK_SQL, STATUS_RANK_SQL, Task, User
from db.pagination import SortKey, datetime_key, int_key, text_key
from db.types import contains_pattern, list_contains, uuid_text
from domain.filters import SORT_FIELDS, UNASSIGNED, TaskFilters, has_task_filters


def filter_values(filters: TaskFilters) -> dict[str, Any]:
    """The task filters that are set (not the date range), by the name of their condition, each with the value
    it compares with (None for the unassigned queue, which compares with none)."""
    values: dict[str, Any] = {}
    if filters.status is not None:
        values["status"] = filters.status
    if filters.priority is not None:
        values["priority"] = filters.priority
    if filters.assigned_to == UNASSIGNED:
        values["unassigned"] = None
    elif filters.assigned_to is not None:
        values["assigned_to"] = filters.assigned_to
    if filters.created_by is not None:
        values["created_by"] = filters.created_by
    if filters.case_id is not None:
        values["case_id"] = filters.case_id
    if filters.department is not None:
        values["department"] = filters.department
    if filters.tag is not None:
        values["tag"] = filters.tag
    if filters.q:
        values["q"] = contains_pattern(filters.q)
    if filters.due_before is not None:
        values["due_before"] = filters.due_before
    if filters.due_after is not None:
        values["due_after"] = filters.due_after
    return values


#: Each task filter's condition on `tasks`, on the value it compares with (a value or a bound parameter).
_CONDITIONS: dict[str, Callable[[Any], ColumnElement]] = {
    "status": lambda value: Task.status == value,
    "priority": lambda value: Task.priority == value,
    "unassigned": lambda _: Task.assigned_to.is_(None),
    "assigned_to": lambda value: Task.assigned_to == value,
    "created_by": lambda value: Task.created_by == value,
    "case_id": lambda value: Task.case_id == value,
    "department": lambda value: Task.assigned_to.in_(select(User.id).where(User.department == value)),
    "tag": lambda value: list_contains(Task.tags, value, session().get_bind().dialect.name),
    "q": lambda pattern: or_(Task.title.ilike(pattern, escape="\\"), Task.description.ilike(pattern, escape="\\")),
    "due_before": lambda value: Task.due_date < value,
    "due_after": lambda value: Task.due_date >= value,
}


def task_conditions(filters: TaskFilters) -> list[ColumnElement]:
    """WHERE conditions on `tasks` for the task filters (not the date range); deleted tasks never match."""
    return [Task.deleted_at.is_(None), *(_CONDITIONS[name](value) for name, value in filter_values(filters).items())]


#: The bound parameter of a filter's value in `bound_task_conditions`: this prefix and the condition's name.
FILTER_PARAMETER = "filter_"


def bound_task_conditions(names) -> list[ColumnElement]:
    """`task_conditions` for the filters `names` (keys of `filter_values`) on bound parameters, without values:
    a statement made of them serves every request that sets the same filters, run with `filter_parameters`."""
    return [Task.deleted_at.is_(None),
            *(_CONDITIONS[name](bindparam(FILTER_PARAMETER + name, required=True)) for name in names)]


def filter_parameters(values: dict[str, Any]) -> dict[str, Any]:
    """The values of `filter_values` as `bound_task_conditions` names its parameters."""
    return {FILTER_PARAMETER + name: value for name, value in values.items() if value is not None}


#: What a listed task shows: every column but the ones the workflow derives for the reports
#: (status clock, SLA clock and due moment) and the deletion mark (listed tasks are live).
LISTED_COLUMNS = tuple(column for column in Task.__table__.columns if column.name not in {
    "deleted_at", "status_since", "first_started_at", "sla_clock_s", "status_since_w", "sla_work_clock_s",
    "sla_due_s"})


def _as_text(column):
    """A listed column as JSON writes it: a UUID as its canonical text, an enum as its stored value (a string)."""
    if isinstance(column.type, Uuid):
        return uuid_text(column).label(column.name)
    if isinstance(column.type, Enum):
        return type_coerce(column, String).label(column.name)
    return column


#: The listed columns as text where JSON writes text: the ids (the task's and those it refers to) and the
#: status and priority, for a list that only writes them out (no uuid.UUID or enum member made per row).
LISTED_COLUMNS_AS_TEXT = tuple(_as_text(column) for column in LISTED_COLUMNS)


def filtered_statement(filters: TaskFilters) -> Select:
    """SELECT of the listed columns of live tasks matching `filters` (shared by counts and exports).

    Plain rows, not ORM objects: lists are read-only and rows cost a third as much to load.
    """
    return select(*LISTED_COLUMNS).where(*task_conditions(filters))


def bound_filtered_statement(names, *, as_text: bool = False) -> Select:
    """`filtered_statement` for the filters `names` on bound parameters (`bound_task_conditions`), for the
    task list; with `as_text` the ids, status and priority come as text (`LISTED_COLUMNS_AS_TEXT`)."""
    columns = LISTED_COLUMNS_AS_TEXT if as_text else LISTED_COLUMNS
    return select(*columns).where(*bound_task_conditions(names))


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
