"""Typed SQLAlchemy 2 models: the seed's data model plus what a real system needs."""
import enum
import uuid
from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    Uuid,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db.types import JSONDocument, StringList, UTCDateTime, utcnow, uuid7

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TaskStatus(str, enum.Enum):
    NEW = "New"
    IN_PROGRESS = "In Progress"
    ON_HOLD = "On Hold"
    COMPLETED = "Completed"
    CANCELLED = "Cancelled"


class Priority(str, enum.Enum):
    LOW = "Low"
    MEDIUM = "Medium"
    HIGH = "High"
    CRITICAL = "Critical"


class Role(str, enum.Enum):
    ADMIN = "Admin"
    MANAGER = "Manager"
    AGENT = "Agent"
    VIEWER = "Viewer"


class NotificationType(str, enum.Enum):
    TASK_ASSIGNMENT = "Task Assignment"
    STATUS_CHANGE = "Status Change"
    DUE_DATE = "Due Date"
    COMMENT = "Comment"
    SLA_WARNING = "SLA Warning"
    SLA_BREACH = "SLA Breach"


class ChangeType(str, enum.Enum):
    CREATION = "Creation"
    STATUS_CHANGE = "Status Change"
    ASSIGNMENT = "Assignment"
    EDIT = "Edit"


class CaseStatus(str, enum.Enum):
    OPEN = "open"
    CLOSED = "closed"


def db_enum(enum_class: type[enum.Enum], name: str) -> Enum:
    """A native enum type on PostgreSQL, a checked VARCHAR on SQLite, storing the seed's values."""
    return Enum(
        enum_class,
        name=name,
        values_callable=lambda members: [member.value for member in members],
        create_constraint=True,
        validate_strings=True,
    )


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(db_enum(Role, "user_role"), index=True)
    department: Mapped[Optional[str]] = mapped_column(String(100), index=True)
    phone: Mapped[Optional[str]] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Every token and portal session carries the version it was issued under; logout, a password change,
    # deactivation and "sign out everywhere" bump it, and whatever carries an older one is refused.
    credential_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    password_changed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    password_changed_by: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("users.id"))
    # IANA name (e.g. America/New_York) the portal shows and reads times in; None until set (first
    # sign-in takes the browser's). The API stays UTC.
    time_zone: Mapped[Optional[str]] = mapped_column(String(64))
    # Away (leave, sickness): auto-assignment passes them over until `away_until`, if set, after which they count
    # as back without anyone clearing the flag (domain/assignment.py). The database's default only: an INSERT
    # written against an older schema (a migration's test data) must not name the column.
    away: Mapped[bool] = mapped_column(Boolean, server_default=false())
    away_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[CaseStatus] = mapped_column(
        db_enum(CaseStatus, "case_status"), default=CaseStatus.OPEN, index=True
    )
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# List queries filter on live tasks only, so their indexes skip deleted rows.
LIVE = text("deleted_at IS NULL")


def _rank_sql(column: str, members: type[enum.Enum]) -> str:
    whens = " ".join(f"WHEN '{member.value}' THEN {rank}" for rank, member in enumerate(members))
    return f"(CASE {column} {whens} END)"  # parenthesised: PostgreSQL's index syntax wants it


#: Priority and status in their natural order, as SQL both backends index. Queries must use
#: these exact texts (literal, not bound parameters) for the planner to match the index.
PRIORITY_RANK_SQL = _rank_sql("priority", Priority)
STATUS_RANK_SQL = _rank_sql("status", TaskStatus)


DELETED = text("deleted_at IS NOT NULL")


SLA_DUE = text("sla_due_s IS NOT NULL AND deleted_at IS NULL")
HAND_BACK = text("returned_to_holder")
REOPEN = text("from_status = 'Completed'")
OPEN_LIVE = text("status IN ('New', 'In Progress', 'On Hold') AND deleted_at IS NULL")
PAUSED_WITHIN_TARGET = text("status = 'On Hold' AND sla_due_s IS NULL AND deleted_at IS NULL")


def _live_index(name: str, *columns: str) -> Index:
    return Index(name, *columns, postgresql_where=LIVE, sqlite_where=LIVE)


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        _live_index("ix_tasks_created_at_id", "created_at", "id"),
        _live_index("ix_tasks_updated_at_id", "updated_at", "id"),
        _live_index("ix_tasks_due_date_id", "due_date", "id"),
        _live_index("ix_tasks_title_id", "title", "id"),
        _live_index("ix_tasks_priority_rank_id", text(PRIORITY_RANK_SQL), "id"),
        _live_index("ix_tasks_status_rank_id", text(STATUS_RANK_SQL), "id"),
        _live_index("ix_tasks_status_created_at_id", "status", "created_at", "id"),
        _live_index("ix_tasks_status_due_date_id", "status", "due_date", "id"),
        _live_index("ix_tasks_priority_created_at_id", "priority", "created_at", "id"),
        _live_index("ix_tasks_assigned_to_created_at_id", "assigned_to", "created_at", "id"),
        _live_index("ix_tasks_created_by_created_at_id", "created_by", "created_at", "id"),
        _live_index("ix_tasks_case_id_created_at_id", "case_id", "created_at", "id"),
        Index("ix_tasks_tags", "tags", postgresql_using="gin"),
        # The few deleted tasks, which reports over rows beside `tasks` leave out without a join.
        Index("ix_tasks_deleted_id", "id", postgresql_where=DELETED, sqlite_where=DELETED),
        # Open tasks by when their SLA target is passed (the breaches of the last hours, the watchlist).
        Index("ix_tasks_sla_due_s", "sla_due_s", postgresql_where=SLA_DUE, sqlite_where=SLA_DUE),
        # The paused tasks with SLA time left (no due moment while paused), per priority by the clock they used,
        # wall clock or working time, most first: the watchlist reads the few of each nearest their target.
        Index("ix_tasks_paused_clock", "priority", text("sla_clock_s DESC"), "id",
              postgresql_where=PAUSED_WITHIN_TARGET, sqlite_where=PAUSED_WITHIN_TARGET),
        Index("ix_tasks_paused_work_clock", "priority", text("sla_work_clock_s DESC"), "id",
              postgresql_where=PAUSED_WITHIN_TARGET, sqlite_where=PAUSED_WITHIN_TARGET),
        # The latest completions (cycle and lead time points).
        _live_index("ix_tasks_status_status_since_id", "status", "status_since", "id"),
        # Open tasks, oldest work first (aging work in progress).
        Index("ix_tasks_open_age", text("coalesce(first_started_at, created_at)"), "id",
              postgresql_where=OPEN_LIVE, sqlite_where=OPEN_LIVE),
        # Open work by creation with what the workload counts (a date range is not in the facts):
        # read from the index alone on PostgreSQL.
        Index("ix_tasks_open_created_at", "created_at", postgresql_include=["assigned_to", "priority", "due_date"],
              postgresql_where=OPEN_LIVE, sqlite_where=OPEN_LIVE),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[TaskStatus] = mapped_column(
        db_enum(TaskStatus, "task_status"), default=TaskStatus.NEW
    )
    priority: Mapped[Priority] = mapped_column(
        db_enum(Priority, "task_priority"), default=Priority.MEDIUM
    )
    due_date: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    assigned_to: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("users.id"))
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    case_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("cases.id"))
    tags: Mapped[list[str]] = mapped_column(StringList, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    deleted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Kept with every status change (db/status_intervals.py) so the analytics read one row per task
    # instead of replaying its history: when the current status began, when work first started,
    # and the SLA clock seconds used before the current status.
    status_since: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    first_started_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    sla_clock_s: Mapped[float] = mapped_column(Float, server_default=text("0"))
    # The same on the business-hours calendar's working coordinate (see SlaCalendarSpan).
    status_since_w: Mapped[Optional[float]] = mapped_column(Float)
    sla_work_clock_s: Mapped[float] = mapped_column(Float, server_default=text("0"))
    # When an open task's SLA clock passes (passed) its target, in epoch seconds; NULL while it
    # cannot (paused within target, closed). Kept with every change (reports/sla.due_update).
    sla_due_s: Mapped[Optional[float]] = mapped_column(Float)

    # UPDATE ... WHERE version = :seen: a concurrent writer can never be overwritten silently.
    __mapper_args__ = {"version_id_col": version}


class TaskStatusCount(Base):
    """Live tasks per status, kept in each change's transaction: the unfiltered board reads 5 rows, not a scan."""

    __tablename__ = "task_status_counts"

    status: Mapped[TaskStatus] = mapped_column(db_enum(TaskStatus, "task_status"), primary_key=True)
    live: Mapped[int] = mapped_column(Integer)


#: The case a history entry put its task into, and the one it took it out of (the same text on both databases).
INTO_CASE = text("(new_value ->> 'case_id')")
OUT_OF_CASE = text("(old_value ->> 'case_id')")


class TaskHistory(Base):
    __tablename__ = "task_history"
    __table_args__ = (
        Index("ix_task_history_task_id_changed_at_id", "task_id", "changed_at", "id"),
        Index("ix_task_history_changed_at_id", "changed_at", "id"),
        # The few hand-backs (db/handovers.py), by when they happened; rework counts their tasks off the index alone.
        Index("ix_task_history_hand_backs", "changed_at", postgresql_include=["task_id"], postgresql_where=HAND_BACK,
              sqlite_where=HAND_BACK),
        # The entries that put a task into a case and those that took it out: a case's history starts from them.
        Index("ix_task_history_into_case", INTO_CASE, postgresql_where=text(f"{INTO_CASE.text} IS NOT NULL"),
              sqlite_where=text(f"{INTO_CASE.text} IS NOT NULL")),
        Index("ix_task_history_out_of_case", OUT_OF_CASE, postgresql_where=text(f"{OUT_OF_CASE.text} IS NOT NULL"),
              sqlite_where=text(f"{OUT_OF_CASE.text} IS NOT NULL")),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id"))
    changed_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    change_type: Mapped[ChangeType] = mapped_column(db_enum(ChangeType, "change_type"))
    old_value: Mapped[Optional[dict[str, Any]]] = mapped_column(JSONDocument)
    new_value: Mapped[Optional[dict[str, Any]]] = mapped_column(JSONDocument)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: An Assignment back to someone who held the task before (db/handovers.py).
    returned_to_holder: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class TaskStatusInterval(Base):
    """One stretch of time a task spent in one status, derived from its history (db/status_intervals.py).

    Step 1 starts at creation in New; each status change ends the current stretch and starts the
    next. The current stretch has no end. `clock_before_s` is the SLA clock time (seconds in New
    or In Progress) the task had used before this stretch began.
    """

    __tablename__ = "task_status_intervals"
    __table_args__ = (
        # Transitions and stays by the moment they happened (date ranges), grouped by status.
        Index("ix_task_status_intervals_started_at", "started_at"),
        Index("ix_task_status_intervals_ended_at", "ended_at"),
        # The few reopens (Completed back to work), by when they happened; rework counts them off the index alone.
        Index("ix_task_status_intervals_reopens", "started_at", postgresql_include=["status", "task_id"],
              postgresql_where=REOPEN, sqlite_where=REOPEN),
    )

    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id"), primary_key=True)
    step: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[TaskStatus] = mapped_column(db_enum(TaskStatus, "task_status"))
    from_status: Mapped[Optional[TaskStatus]] = mapped_column(db_enum(TaskStatus, "task_status"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    from_started_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    clock_before_s: Mapped[float] = mapped_column(Float)
    # The stretch on the business-hours calendar: working coordinates of its start and end, and
    # the working seconds of clock used before it (re-derived when the calendar changes).
    started_w: Mapped[float] = mapped_column(Float, server_default=text("0"))
    ended_w: Mapped[Optional[float]] = mapped_column(Float)
    work_clock_before_s: Mapped[float] = mapped_column(Float, server_default=text("0"))


class TaskComment(Base):
    __tablename__ = "task_comments"
    __table_args__ = (Index("ix_task_comments_task_id_created_at_id", "task_id", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id"))
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TaskWatcher(Base):
    __tablename__ = "task_watchers"

    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


UNREAD = text("read = false")


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_id_created_at_id", "user_id", "created_at", "id"),
        # The unread-count poll is one index-only lookup on this partial index.
        Index(
            "ix_notifications_user_id_unread",
            "user_id",
            postgresql_where=UNREAD,
            sqlite_where=UNREAD,
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    content: Mapped[str] = mapped_column(Text)
    type: Mapped[NotificationType] = mapped_column(db_enum(NotificationType, "notification_type"))
    read: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    related_task_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("tasks.id"), index=True)


class NotificationPreference(Base):
    __tablename__ = "notification_preferences"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    type: Mapped[NotificationType] = mapped_column(
        db_enum(NotificationType, "notification_type"), primary_key=True
    )
    in_app: Mapped[bool] = mapped_column(Boolean)
    email: Mapped[bool] = mapped_column(Boolean)
    sms: Mapped[bool] = mapped_column(Boolean)


class SavedView(Base):
    """A user's named task-table view: filters, sort and column state, reopened later."""

    __tablename__ = "saved_views"
    # One name per user; also serves the per-user list.
    __table_args__ = (Index("ix_saved_views_user_id_name", "user_id", "name", unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(80))
    state: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SlaTarget(Base):
    """The resolution target of one priority: the SLA clock's limit, set by an Admin."""

    __tablename__ = "sla_targets"

    priority: Mapped[Priority] = mapped_column(db_enum(Priority, "task_priority"), primary_key=True)
    target_minutes: Mapped[int] = mapped_column(Integer)
    #: Count only the business-hours calendar's working time (SlaCalendar), not every hour.
    business_hours: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class OutboxMessage(Base):
    """A message to deliver on one channel, written in the transaction of the change it tells of.

    Its id is the idempotency key the channels that have one carry (SMTP Message-ID, SNS `message_id`).
    """

    __tablename__ = "outbox_messages"
    # The dispatcher's claim: due messages by status and time.
    __table_args__ = (
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
        # An endpoint's recent deliveries (the webhooks list).
        Index("ix_outbox_messages_webhook_id_created_at", "webhook_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    channel: Mapped[str] = mapped_column(String(8))  # sns | email | sms | webhook
    user_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("users.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    status: Mapped[str] = mapped_column(String(8), default="pending")  # pending | sending | sent | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # The claim that holds the row while `sending`: every write of its dispatcher requires it, so one that
    # lost its lease changes nothing.
    claim_token: Mapped[Optional[uuid.UUID]] = mapped_column(Uuid)
    # Set (committed) just before a message no receiver could drop a repeat of (SMS, email through SES) is
    # handed over: a row found `sending` with it set was perhaps delivered, and is not sent again.
    send_started_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    #: The endpoint a `webhook` message goes to (no foreign key: endpoints are only ever soft-deleted).
    webhook_id: Mapped[Optional[uuid.UUID]] = mapped_column(Uuid)


class DueReminder(Base):
    """A due-date reminder already sent: one per task, threshold and due date, so reminding twice is a no-op."""

    __tablename__ = "due_reminders"

    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id"), primary_key=True)
    threshold: Mapped[str] = mapped_column(String(16), primary_key=True)  # due_soon | overdue
    due_date: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TaskAttachment(Base):
    """A file attached to a task; the bytes live in the store under `storage_key`. Removal is a hard delete
    (the history keeps an Edit row naming the file)."""

    __tablename__ = "task_attachments"
    __table_args__ = (Index("ix_task_attachments_task_id_created_at_id", "task_id", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id"))
    filename: Mapped[str] = mapped_column(String(255))  # the original name, cleaned for display only
    content_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(200))  # attachments/<task_id>/<id>: nothing the user sent
    uploaded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseWatcher(Base):
    """A user subscribed to a case: they hear of its tasks' status changes and comments."""

    __tablename__ = "case_watchers"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotificationDefault(Base):
    """The channels a notification type goes to for users who chose nothing: set by an Admin."""

    __tablename__ = "notification_defaults"

    type: Mapped[NotificationType] = mapped_column(db_enum(NotificationType, "notification_type"), primary_key=True)
    in_app: Mapped[bool] = mapped_column(Boolean)
    email: Mapped[bool] = mapped_column(Boolean)
    sms: Mapped[bool] = mapped_column(Boolean)


UNFINISHED = text("status IN ('queued', 'running')")


class Export(Base):
    """A CSV export of the task list or an analytics report, produced in the background and stored
    under `storage_key` (exports/<id>.csv: nothing the user sent)."""

    __tablename__ = "exports"
    __table_args__ = (
        Index("ix_exports_requested_by_created_at", "requested_by", "created_at"),
        Index("ix_exports_unfinished_claimed_until", "claimed_until", postgresql_where=UNFINISHED, sqlite_where=UNFINISHED),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    requested_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    report: Mapped[str] = mapped_column(String(32))  # tasks | sla | workload | status-flow | flow-metrics
    filters: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    status: Mapped[str] = mapped_column(String(8), default="queued")  # queued | running | done | failed
    rows: Mapped[Optional[int]] = mapped_column(Integer)
    bytes: Mapped[Optional[int]] = mapped_column(BigInteger)
    progress: Mapped[int] = mapped_column(Integer, default=0)  # 0..100
    storage_key: Mapped[Optional[str]] = mapped_column(String(200))
    error: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Who runs it, until when: a worker that dies stops renewing the lease and another takes the export over.
    claim: Mapped[Optional[uuid.UUID]] = mapped_column(Uuid)
    claimed_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class EmailDigestSetting(Base):
    """How a user takes email: each message at once (`immediate`, the default without a row) or a `daily_digest`."""

    __tablename__ = "email_digest_settings"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16), default="immediate")  # immediate | daily_digest
    last_digest_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


DIGEST_PENDING = text("outbox_message_id IS NULL")


class EmailDigestItem(Base):
    """One event's email for a digest user, queued until the next digest takes it (`outbox_message_id` set)."""

    __tablename__ = "email_digest_items"
    __table_args__ = (
        # The digest run's scan: the items no digest has taken yet, per user.
        Index("ix_email_digest_items_user_id_pending", "user_id", "created_at",
              postgresql_where=DIGEST_PENDING, sqlite_where=DIGEST_PENDING),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    type: Mapped[NotificationType] = mapped_column(db_enum(NotificationType, "notification_type"))
    content: Mapped[str] = mapped_column(Text)
    task_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("tasks.id"))
    task_title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outbox_message_id: Mapped[Optional[uuid.UUID]] = mapped_column(Uuid)


class SlaCalendar(Base):
    """The business-hours calendar SLA targets may count in: one row (id 1), its holidays in SlaHoliday."""

    __tablename__ = "sla_calendar"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    timezone: Mapped[str] = mapped_column(String(64))  # IANA name, e.g. Europe/London
    #: Monday first, 7 entries: ["09:00", "17:00"] (local opening and closing time) or null (closed).
    week: Mapped[list[Any]] = mapped_column(JSONDocument)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("users.id"))


class SlaHoliday(Base):
    """A whole day the business-hours calendar is closed (a local date in its time zone)."""

    __tablename__ = "sla_holidays"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), default="")


class SlaCalendarSpan(Base):
    """One working span of the business-hours calendar, in epoch seconds, with the working seconds before it.

    Derived from SlaCalendar and SlaHoliday (workflow/calendar.py writes them whenever the
    calendar changes) so SQL can turn a moment into its working coordinate (working seconds
    since 2000-01-01T00:00Z) and back with one index lookup.
    """

    __tablename__ = "sla_calendar_spans"
    __table_args__ = (Index("ix_sla_calendar_spans_before_w", "before_w"),)

    start_s: Mapped[float] = mapped_column(Float, primary_key=True, autoincrement=False)
    end_s: Mapped[float] = mapped_column(Float)
    before_w: Mapped[float] = mapped_column(Float)


class ReportFact(Base):
    """One cell of the analytics facts: how many events of one kind fell on one UTC day for one key.

    Kept by every task change in its own transaction and derivable from the history
    (reports/facts.py says what each measure counts). Durations are kept as log-spaced buckets,
    so a percentile is read from a few hundred rows instead of sorting millions. Each event is
    counted at three grains, so a figure reads only the rows of what it is filtered on: all
    tasks, per department of the assignee, per assignee (the other key column holds its blank).
    """

    __tablename__ = "report_facts"

    # Key order = index order: a figure reads one grain and a few measures, then one owner's days.
    grain: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    measure: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    #: The task's current assignee (assignee grain; the nil UUID for unassigned tasks and other grains).
    assignee_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    #: The current assignee's department (department grain; "" for none and other grains).
    department: Mapped[str] = mapped_column(String(100), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    priority: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    status: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    from_status: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    bucket: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(BigInteger)


class ReportFactState(Base):
    """Whether the analytics facts can be read (one row, id 1): false while they are rebuilt.

    While they are not ready the reports compute from the history and say so.
    """

    __tablename__ = "report_fact_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    ready: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Why they are being rebuilt, and how far it got (0-100), for the page's notice.
    reason: Mapped[str] = mapped_column(String(200), default="")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The calendar changed: the working-time columns are re-derived before the facts.
    working_time_stale: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class BoardWipLimit(Base):
    """A board column's work-in-progress limit for one department ("" is the default for every department)."""

    __tablename__ = "board_wip_limits"
    __table_args__ = (CheckConstraint("wip_limit BETWEEN 1 AND 999", name="wip_limit_range"),)

    department: Mapped[str] = mapped_column(String(100), primary_key=True)
    status: Mapped[TaskStatus] = mapped_column(db_enum(TaskStatus, "task_status"), primary_key=True)
    wip_limit: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("users.id"))


class AuditEvent(Base):
    """One administrative change, sign-in or export: who, when, from where, what, and the values before and
    after. Append-only: no code path updates or deletes a row, and the database refuses it (migration 0026)."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_at_id", "at", "id"),
        Index("ix_audit_events_action_at", "action", "at"),
        Index("ix_audit_events_actor_id_at", "actor_id", "at"),
        Index("ix_audit_events_target_type_target_id", "target_type", "target_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Who acted (None: the system, or a sign-in under an unknown name); `actor_name` keeps the name given.
    actor_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[Optional[str]] = mapped_column(String(150))
    #: `<subject>.<verb>`, e.g. `user.updated`, `auth.sign_in_failed` (workflow/audit.py lists them).
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[Optional[str]] = mapped_column(String(32))
    target_id: Mapped[Optional[str]] = mapped_column(String(200))
    before: Mapped[Optional[dict[str, Any]]] = mapped_column(JSONDocument)
    after: Mapped[Optional[dict[str, Any]]] = mapped_column(JSONDocument)
    address: Mapped[Optional[str]] = mapped_column(String(64))


class Webhook(Base):
    """An endpoint that receives signed JSON POSTs of the events it subscribes to (through the outbox).

    `secret` is sealed with a key derived from SECRET_KEY (notifications/webhooks.py): the dispatcher must
    read it back to sign, so it cannot be hashed. Deleting an endpoint keeps its row (deliveries refer to it).
    """

    __tablename__ = "webhooks"
    __table_args__ = (Index("ix_webhooks_active_created_at", "active", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    url: Mapped[str] = mapped_column(String(2000))
    #: Event names, e.g. `task.created` (notifications/webhooks.py lists them).
    events: Mapped[list[str]] = mapped_column(StringList)
    secret: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class ReportSubscription(Base):
    """A user's standing order for a report as CSV (`report`: a /api/reports name, or `view:<saved view id>`),
    daily or weekly at `hour` on their own clock; `stopped` with the reason once its owner may no longer have it."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        Index("ix_subscriptions_user_id_created_at", "user_id", "created_at"),
        Index("ix_subscriptions_status", "status"),
        CheckConstraint("hour BETWEEN 0 AND 23", name="hour_range"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    report: Mapped[str] = mapped_column(String(48))
    filters: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    frequency: Mapped[str] = mapped_column(String(8))  # daily | weekly
    hour: Mapped[int] = mapped_column(SmallInteger)
    #: Monday 0 .. Sunday 6, for weekly ones.
    weekday: Mapped[Optional[int]] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(8), default="active")  # active | stopped
    stopped_reason: Mapped[Optional[str]] = mapped_column(Text)
    stopped_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportSubscriptionRun(Base):
    """One delivery of a subscription for one period (`2026-12-07`, `2026-W50`): the unique pair decides who
    produces it; a lease (`claim`, `claimed_until`) lets another take over a run whose worker died."""

    __tablename__ = "subscription_runs"
    __table_args__ = (
        Index("ix_subscription_runs_subscription_id_period", "subscription_id", "period", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    subscription_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subscriptions.id"))
    period: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(8), default="running")  # running | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim: Mapped[Optional[uuid.UUID]] = mapped_column(Uuid)
    claimed_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    rows: Mapped[Optional[int]] = mapped_column(Integer)
    bytes: Mapped[Optional[int]] = mapped_column(BigInteger)
    storage_key: Mapped[Optional[str]] = mapped_column(String(200))
    #: Whether the e-mail carried the file itself (small enough), besides the link.
    attached: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class AssignmentRule(Base):
    """How a department's new and returned-to-the-queue tasks are given out: off, round robin or least loaded.

    The row is also the department's cursor: every automatic pick first bumps `turns` (an UPDATE, which takes
    the row's lock until the pick commits), so concurrent picks of one department take their turns one after
    another and round robin never gives the same slot twice; `last_assigned_to` is who the last pick chose.
    """

    __tablename__ = "assignment_rules"
    __table_args__ = (CheckConstraint("mode IN ('off', 'round_robin', 'least_loaded')", name="mode_known"),)

    department: Mapped[str] = mapped_column(String(100), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16), default="off")
    turns: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    last_assigned_to: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("users.id"))


class ApiToken(Base):
    """A service token (personal access token) for an integration: it acts as its owner within its scopes.
    Only the SHA-256 of its secret is kept (the secret is random enough that a fast hash is safe), and the
    secret's first characters (`prefix`) to tell it by; revoked tokens stay, for the record."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint("scopes IN ('read', 'read write')", name="scopes_known"),
        Index("ix_api_tokens_user_id_created_at_id", "user_id", "created_at", "id"),
        Index("ix_api_tokens_created_at_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # hex SHA-256 of the whole secret
    scopes: Mapped[str] = mapped_column(String(16))  # "read" | "read write", space-separated as in OAuth
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Updated at most once a minute (workflow/tokens.note_use): not a write per request.
    last_used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    revoked_by: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("users.id"))


class SlaEscalationRule(Base):
    """When an open task's SLA escalates, per priority (workflow/escalations.py); a priority with no row
    takes the defaults of domain/escalations.py."""

    __tablename__ = "sla_escalation_rules"
    __table_args__ = (CheckConstraint("warning_percent BETWEEN 1 AND 99", name="warning_percent_range"),)

    priority: Mapped[Priority] = mapped_column(db_enum(Priority, "task_priority"), primary_key=True)
    warning_enabled: Mapped[bool] = mapped_column(Boolean)
    warning_percent: Mapped[int] = mapped_column(Integer)
    breach_enabled: Mapped[bool] = mapped_column(Boolean)
    raise_priority: Mapped[bool] = mapped_column(Boolean)
    return_to_queue: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("users.id"))


class SlaEscalation(Base):
    """An escalation step (`warning`, `breach`) fired for a task in one SLA episode (the interval step that
    began it: 1 from creation, a later one from a reopen or restore). The key lets each fire once, whoever
    runs it: two sweeps, a retry, a change at the same moment."""

    __tablename__ = "sla_escalations"
    __table_args__ = (CheckConstraint("step IN ('warning', 'breach')", name="step"),)

    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id"), primary_key=True)
    episode: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    step: Mapped[str] = mapped_column(String(16), primary_key=True)
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The people told (a warning passed over by a breach in the same sweep tells nobody).
    notified: Mapped[int] = mapped_column(Integer, default=0)


class SlaEscalationState(Base):
    """How far the escalation sweep has looked (one row, id 1): the moment of its last complete run, and the
    analytics' change it ran after (a policy change moves due moments: the next run looks at them all)."""

    __tablename__ = "sla_escalation_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    swept_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    facts_changed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
