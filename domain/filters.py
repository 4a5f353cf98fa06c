"""The one task-filter vocabulary: what the task list, its exports and every report narrow tasks by."""
import uuid
from dataclasses import dataclass, fields
from datetime import datetime, timezone

from sqlalchemy import ColumnElement, Integer, Select, literal_column, or_, select

from db import session
from db.models import PRIORITY_RANK_SQL, STATUS_RANK_SQL, Priority, Task, TaskStatus, User
from db.pagination import SortKey, datetime_key, int_key, text_key
from db.types import contains_pattern, list_contains
from domain.errors import ValidationFailed

#: `assigned_to=none` selects the unassigned queue.
UNASSIGNED = "none"

#: Fields that narrow by a task's current values (the rest is the date range).
_DATE_RANGE = ("date_from", "date_to")


@dataclass(frozen=True)
class TaskFilters:
    """What a task list or a report is narrowed to; None means no filter.

    The task filters look at a task's current values; `department` is the current assignee's.
    The date range, from `date_from` (included) to `date_to` (excluded), is for the reports: it
    selects by the moment each metric's definition names (a completion, a transition, an SLA
    decision, or the task's creation for lists of open work).
    """

    status: TaskStatus | None = None
    priority: Priority | None = None
    assigned_to: uuid.UUID | str | None = None
    created_by: uuid.UUID | None = None
    case_id: uuid.UUID | None = None
    department: str | None = None
    tag: str | None = None
    q: str | None = None
    due_before: datetime | None = None
    due_after: datetime | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None


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


def has_task_filters(filters: TaskFilters) -> bool:
    """Whether any task filter (not the date range) is set."""
    return any(getattr(filters, f.name) is not None for f in fields(filters) if f.name not in _DATE_RANGE)


def filtered_statement(filters: TaskFilters) -> Select:
    """SELECT of the columns of live tasks matching `filters` (shared by the list, counts and exports).

    Plain rows, not ORM objects: lists are read-only and rows cost a third as much to load.
    """
    return select(*Task.__table__.columns).where(*task_conditions(filters))


def _uuid_or(value, *names: str):
    if value is None or value in names:
        return value
    return uuid.UUID(str(value))


def _moment(value) -> datetime | None:
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def from_json(filters: dict) -> TaskFilters:
    """Filters from their JSON form (an export's or a saved view's, already validated)."""
    return TaskFilters(
        status=TaskStatus(filters["status"]) if filters.get("status") else None,
        priority=Priority(filters["priority"]) if filters.get("priority") else None,
        assigned_to=_uuid_or(filters.get("assigned_to"), UNASSIGNED),
        created_by=_uuid_or(filters.get("created_by")),
        case_id=_uuid_or(filters.get("case_id")),
        department=filters.get("department"),
        tag=filters.get("tag"),
        q=filters.get("q"),
        due_before=_moment(filters.get("due_before")),
        due_after=_moment(filters.get("due_after")),
        date_from=_moment(filters.get("date_from")),
        date_to=_moment(filters.get("date_to")),
    )


# --- sorting the task list ---------------------------------------------------------------

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
DEFAULT_SORT = "-created_at"


def parse_sort(sort: str | None) -> tuple[str, bool]:
    """`-due_date` -> ("due_date", descending); unknown fields are a validation error."""
    sort = sort or DEFAULT_SORT
    name, descending = (sort[1:], True) if sort.startswith("-") else (sort, False)
    if name not in SORT_KEYS:
        raise ValidationFailed(
            "unknown sort field",
            [{"field": "sort", "message": f"one of {sorted(SORT_KEYS)}, optionally prefixed by '-'"}],
        )
    return name, descending
