"""The one task-filter vocabulary: what the task list, its exports and every report narrow tasks by, and the
fields the list sorts on (reports/filters.py turns both into SQL)."""
import uuid
from dataclasses import dataclass, fields
from datetime import datetime, timezone

from db.models import Priority, TaskStatus
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


def has_task_filters(filters: TaskFilters) -> bool:
    """Whether any task filter (not the date range) is set."""
    return any(getattr(filters, f.name) is not None for f in fields(filters) if f.name not in _DATE_RANGE)


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

#: The fields the task list sorts on (reports/filters.py holds each one's SQL key).
SORT_FIELDS = ("created_at", "updated_at", "due_date", "title", "priority", "status")
DEFAULT_SORT = "-created_at"


def parse_sort(sort: str | None) -> tuple[str, bool]:
    """`-due_date` -> ("due_date", descending); unknown fields are a validation error."""
    sort = sort or DEFAULT_SORT
    name, descending = (sort[1:], True) if sort.startswith("-") else (sort, False)
    if name not in SORT_FIELDS:
        raise ValidationFailed(
            "unknown sort field",
            [{"field": "sort", "message": f"one of {sorted(SORT_FIELDS)}, optionally prefixed by '-'"}],
        )
    return name, descending
