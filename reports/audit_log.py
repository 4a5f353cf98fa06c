"""The audit log and the task history as read for compliance reviews: the SELECTs under their filters and
their CSV, streamed in constant memory (COPY on PostgreSQL, keyset pages elsewhere), text cells spreadsheet-safe."""
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, String, cast, func, select
from sqlalchemy.orm import aliased

from db import session
from db.models import AuditEvent, ChangeType, Task, TaskHistory, User
from db.pagination import datetime_key, paginate
from reports.csv_cells import safe_text
from reports.csv_stream import PAGE_ROWS, copy_csv, paged_csv
from reports.task_csv import utc_text

AUDIT_HEADER = ["at", "action", "actor", "target_type", "target_id", "before", "after", "address", "id"]
HISTORY_HEADER = ["changed_at", "task_id", "task", "change_type", "changed_by", "old_value", "new_value", "id"]


@dataclass(frozen=True)
class AuditFilters:
    """What an audit list or export is narrowed to: an action (`user.updated`) or a subject (`user`), who acted,
    what was acted on, and a time range [since, until)."""

    action: str | None = None
    actor_id: uuid.UUID | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class HistoryFilters:
    """What a task-history export is narrowed to: one task, who changed it, the kind of change, a time range."""

    task_id: uuid.UUID | None = None
    changed_by: uuid.UUID | None = None
    change_type: ChangeType | None = None
    since: datetime | None = None
    until: datetime | None = None


def _instant(value) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value
    if moment.tzinfo is None:
        raise ValueError("a date_from or date_to needs a time zone (e.g. Z)")
    return moment


def _id(value) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(str(value))


def audit_filters(filters: dict) -> AuditFilters:
    """An audit export's JSON filters (as GET /api/audit takes them); ValueError for a value that is not one."""
    return AuditFilters(
        action=filters.get("action"), actor_id=_id(filters.get("actor")), target_type=filters.get("target_type"),
        target_id=filters.get("target_id"), since=_instant(filters.get("date_from")), until=_instant(filters.get("date_to")),
    )


def history_filters(filters: dict) -> HistoryFilters:
    """A history export's JSON filters; ValueError for a value that is not one."""
    change_type = filters.get("change_type")
    return HistoryFilters(
        task_id=_id(filters.get("task_id")), changed_by=_id(filters.get("changed_by")),
        change_type=ChangeType(change_type) if change_type else None,
        since=_instant(filters.get("date_from")), until=_instant(filters.get("date_to")),
    )


def events_statement(filters: AuditFilters) -> Select:
    """The SELECT of audit rows under `filters` (the list pages it, the export streams it)."""
    statement = select(AuditEvent)
    if filters.action:
        action = filters.action
        statement = statement.where(AuditEvent.action == action if "." in action else AuditEvent.action.like(f"{action}.%"))
    if filters.actor_id is not None:
        statement = statement.where(AuditEvent.actor_id == filters.actor_id)
    if filters.target_type:
        statement = statement.where(AuditEvent.target_type == filters.target_type)
    if filters.target_id:
        statement = statement.where(AuditEvent.target_id == str(filters.target_id))
    if filters.since is not None:
        statement = statement.where(AuditEvent.at >= filters.since)
    if filters.until is not None:
        statement = statement.where(AuditEvent.at < filters.until)
    return statement


def _history_statement(filters: HistoryFilters) -> Select:
    statement = select(TaskHistory)
    if filters.task_id is not None:
        statement = statement.where(TaskHistory.task_id == filters.task_id)
    if filters.changed_by is not None:
        statement = statement.where(TaskHistory.changed_by == filters.changed_by)
    if filters.change_type is not None:
        statement = statement.where(TaskHistory.change_type == filters.change_type)
    if filters.since is not None:
        statement = statement.where(TaskHistory.changed_at >= filters.since)
    if filters.until is not None:
        statement = statement.where(TaskHistory.changed_at < filters.until)
    return statement


def count_audit(filters: AuditFilters) -> int:
    """How many audit rows an export under `filters` holds."""
    return session.scalar(select(func.count()).select_from(events_statement(filters).subquery()))


def count_history(filters: HistoryFilters) -> int:
    """How many history rows an export under `filters` holds."""
    return session.scalar(select(func.count()).select_from(_history_statement(filters).subquery()))


def _stream(statement: Select, id_column, at_column, header: list[str]) -> Iterator[bytes]:
    """The rows of `statement` as CSV, oldest first (ties by id)."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        return copy_csv(bind, statement.order_by(at_column, id_column), header)

    def page(cursor: str | None):
        found = paginate(session(), statement, id_column=id_column, key=datetime_key(at_column), sort="at",
                         descending=False, limit=PAGE_ROWS, cursor=cursor, entities=False)
        session.rollback()  # end the read, so writers are not held up between pages
        return found

    return paged_csv(page, header)


def stream_audit_csv(filters: AuditFilters) -> Iterator[bytes]:
    """The audit rows under `filters` as UTF-8 CSV, oldest first; before and after as JSON text."""
    dialect = session.get_bind().dialect.name
    statement = events_statement(filters).with_only_columns(
        utc_text(AuditEvent.at, dialect).label("at"), AuditEvent.action,
        safe_text(AuditEvent.actor_name).label("actor"), AuditEvent.target_type, safe_text(AuditEvent.target_id).label("target_id"),
        safe_text(cast(AuditEvent.before, String)).label("before"), safe_text(cast(AuditEvent.after, String)).label("after"),
        AuditEvent.address, AuditEvent.id,
    )
    return _stream(statement, AuditEvent.id, AuditEvent.at, AUDIT_HEADER)


def stream_history_csv(filters: HistoryFilters) -> Iterator[bytes]:
    """Task history rows (deleted tasks' included) under `filters` as UTF-8 CSV, oldest first."""
    dialect = session.get_bind().dialect.name
    changer = aliased(User)
    statement = (
        _history_statement(filters)
        .with_only_columns(
            utc_text(TaskHistory.changed_at, dialect).label("changed_at"), TaskHistory.task_id,
            safe_text(Task.title).label("task"), cast(TaskHistory.change_type, String).label("change_type"),
            safe_text(changer.username).label("changed_by"),
            safe_text(cast(TaskHistory.old_value, String)).label("old_value"),
            safe_text(cast(TaskHistory.new_value, String)).label("new_value"), TaskHistory.id,
        )
        .join(Task, Task.id == TaskHistory.task_id)
        .join(changer, changer.id == TaskHistory.changed_by)
    )
    return _stream(statement, TaskHistory.id, TaskHistory.changed_at, HISTORY_HEADER)
