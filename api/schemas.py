"""The API's own shapes: responses, envelopes, list queries; the OpenAPI document is generated from them
and from the input schemas in domain/schemas.py."""
import uuid
from datetime import date as CalendarDate
from datetime import datetime
from typing import Annotated, Any, ClassVar, Generic, Literal, Optional, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from db.models import CaseStatus, ChangeType, NotificationType, Priority, Role, TaskStatus
from domain.schemas import (
    AnalyticsQuery,
    ChannelSettings,
    Cursor,
    Department,
    QueryBool,
    Schema,
    SearchText,
    Secret,
    SlaDayHours,
    Tag,
    Text,
    UtcDatetime,
    one_error,
)


class Out(BaseModel):
    """Responses read straight from model attributes."""

    model_config = ConfigDict(from_attributes=True)


# --- auth -------------------------------------------------------------------------------


class LoginIn(Schema):
    username: Text(1, 64)
    password: Secret


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int


class TaskOut(Out):
    id: uuid.UUID
    title: str
    description: str
    status: TaskStatus
    priority: Priority
    due_date: Optional[datetime]
    assigned_to: Optional[uuid.UUID]
    created_by: uuid.UUID
    created_at: datetime
    updated_at: datetime
    case_id: Optional[uuid.UUID]
    tags: list[str]
    version: int
    allowed_transitions: list[TaskStatus] = Field(
        default_factory=list, description="The statuses the caller may move this task to."
    )


class TaskQuery(Schema):
    """Filters, sort and paging of the task list."""

    model_config = ConfigDict(extra="ignore")

    status: Optional[TaskStatus] = None
    priority: Optional[Priority] = None
    assigned_to: Annotated[
        Optional[uuid.UUID | Literal["me", "none"]], one_error("must be a user id, 'me' or 'none'")
    ] = Field(default=None, description="A user id, `me`, or `none` for the unassigned queue.")
    created_by: Annotated[Optional[uuid.UUID | Literal["me"]], one_error("must be a user id or 'me'")] = None
    case_id: Optional[uuid.UUID] = None
    tag: Optional[Tag] = None
    q: Optional[SearchText] = Field(default=None, description="Text in the title or description.")
    due_before: Optional[UtcDatetime] = None
    due_after: Optional[UtcDatetime] = None
    sort: Optional[
        Literal[
            "created_at", "-created_at", "updated_at", "-updated_at", "due_date", "-due_date",
            "title", "-title", "priority", "-priority", "status", "-status",
        ]
    ] = Field(default=None, description="Sort field, `-` for descending; default `-created_at`.")
    limit: int = Field(default=50, ge=1, le=500)
    cursor: Optional[Cursor] = None


class TaskReportQuery(TaskQuery):
    """The task list's filters and sort, as JSON pages or one streamed CSV."""

    format: Literal["json", "csv"] = Field(default="json", description="`csv` streams every matching task.")


class PageQuery(Schema):
    model_config = ConfigDict(extra="ignore")

    limit: int = Field(default=50, ge=1, le=500)
    cursor: Optional[Cursor] = None


class HistoryOut(Out):
    id: uuid.UUID
    task_id: uuid.UUID
    changed_by: uuid.UUID
    change_type: ChangeType
    old_value: Optional[dict]
    new_value: Optional[dict]
    changed_at: datetime


class CommentOut(Out):
    id: uuid.UUID
    task_id: uuid.UUID
    author_id: uuid.UUID
    body: str
    created_at: datetime


class WatcherQuery(Schema):
    model_config = ConfigDict(extra="ignore")

    user_id: Optional[uuid.UUID] = Field(default=None, description="Defaults to yourself.")


class WatchersOut(BaseModel):
    task_id: uuid.UUID
    watchers: list[uuid.UUID]


class CaseOut(Out):
    id: uuid.UUID
    reference: str
    title: str
    description: str
    status: CaseStatus
    created_by: uuid.UUID
    created_at: datetime
    updated_at: datetime


class CaseDetailOut(CaseOut):
    task_counts: dict[str, int] = Field(description="Live tasks of the case per status.")


class CaseQuery(PageQuery):
    status: Optional[CaseStatus] = None
    q: Optional[SearchText] = None


#: Said of the contact fields a caller may not see (see domain.rules.can_see_contact).
CONTACT_NOTE = "Null unless you are an Admin, a Manager or this user."


class UserOut(Out):
    id: uuid.UUID
    username: str
    email: Optional[str] = Field(description=CONTACT_NOTE)
    full_name: str
    role: Role
    department: Optional[str]
    phone: Optional[str] = Field(description=f"E.164, or null if none. {CONTACT_NOTE}")
    time_zone: Optional[str] = Field(description="IANA name the portal shows this user's times in; null: UTC")
    away: bool = Field(description="Marked away: auto-assignment passes them over (until away_until, if set)")
    away_until: Optional[datetime] = Field(description="When they count as back without the flag being cleared")
    is_active: bool
    created_at: datetime
    last_login: Optional[datetime]


class UserQuery(PageQuery):
    role: Optional[Role] = None
    department: Optional[Department] = None
    is_active: Optional[QueryBool] = None
    q: Optional[SearchText] = None


# --- notifications ----------------------------------------------------------------------


class NotificationOut(Out):
    id: uuid.UUID
    type: NotificationType
    content: str
    read: bool
    related_task_id: Optional[uuid.UUID]
    created_at: datetime


class NotificationQuery(PageQuery):
    unread: Optional[QueryBool] = Field(default=None, description="`true`: only unread; `false`: only read.")


class UnreadCountOut(BaseModel):
    unread: int


class MarkedOut(BaseModel):
    marked: int


class NotificationSettingsOut(BaseModel):
    task_assignment: ChannelSettings = Field(alias="Task Assignment")
    status_change: ChannelSettings = Field(alias="Status Change")
    due_date: ChannelSettings = Field(alias="Due Date")
    comment: ChannelSettings = Field(alias="Comment")
    sla_warning: ChannelSettings = Field(alias="SLA Warning")
    sla_breach: ChannelSettings = Field(alias="SLA Breach")


# --- shared -----------------------------------------------------------------------------

T = TypeVar("T")


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: Optional[str]


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Optional[object] = None


class ErrorOut(BaseModel):
    error: ErrorBody


class HealthOut(BaseModel):
    status: str


def field_name(location: tuple) -> str:
    """`('tags', 2)` -> `tags[2]`, as named in error details."""
    name = ""
    for part in location:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name


class SlaReportQuery(AnalyticsQuery):
    table: Literal["by_priority", "by_week", "by_assignee", "by_department", "watchlist"] = Field(
        default="by_priority", description="The table `format=csv` downloads."
    )


class WorkloadReportQuery(AnalyticsQuery):
    table: Literal["by_assignee", "by_department"] = Field(
        default="by_assignee", description="The table `format=csv` downloads."
    )


class StatusFlowReportQuery(AnalyticsQuery):
    table: Literal["transitions", "time_in_status", "transition_matrix", "rework"] = Field(
        default="transitions", description="The table `format=csv` downloads."
    )


class FlowMetricsReportQuery(AnalyticsQuery):
    table: Literal["throughput", "cycle_lead", "cumulative_flow", "aging_wip"] = Field(
        default="throughput", description="The table `format=csv` downloads."
    )


Rows = list[dict[str, Any]]


class SlaReportOut(BaseModel):
    targets: dict[str, int] = Field(description="Resolution target in minutes per priority.")
    overall: dict[str, Any] = Field(description="`met`, `breached`, `compliance_pct` (null when nothing was settled).")
    by_priority: Rows
    by_week: Rows
    by_assignee: Rows
    by_department: Rows
    watchlist: Rows = Field(description="Open tasks breached or at risk, most urgent first.")


class ForecastOut(BaseModel):
    weeks: int
    history_from: CalendarDate = Field(description="First day of the sampled throughput (UTC).")
    history_to: CalendarDate = Field(description="Last day of the sampled throughput: yesterday (UTC).")
    completed_in_history: int
    backlog: int = Field(description="Open tasks to finish: the filtered team's, or the case's.")
    trials: int
    when: dict[str, Optional[CalendarDate]] = Field(
        description="`p50`, `p85`, `p95`: the day by which that share of the trials is done (null: not within three years).")
    not_within_horizon: int = Field(description="Trials not done within three years.")
    histogram: Rows = Field(description="Per day, how many trials were done that day (`date`, `trials`).")
    how_many: Optional[dict[str, Any]] = Field(
        description="With `by`: `date` and, per confidence, the most tasks that share of the trials completed at least.")


class WorkloadReportOut(BaseModel):
    by_assignee: Rows
    by_department: Rows
    unassigned: dict[str, Any]


class StatusFlowReportOut(BaseModel):
    transitions: Rows
    time_in_status: Rows
    rework: dict[str, int]


class FlowMetricsReportOut(BaseModel):
    throughput: Rows
    cycle_lead: dict[str, Any] = Field(description="`tasks`, the p50/p85 hours and the latest `points`.")
    cumulative_flow: Rows
    aging_wip: dict[str, Any] = Field(description="`cycle_p85_hours` and the open tasks as `points`.")


class SlaBusinessHoursOut(BaseModel):
    Low: bool
    Medium: bool
    High: bool
    Critical: bool


class SlaTargetsOut(BaseModel):
    """Resolution target in minutes per priority, and per priority whether it counts business hours only."""

    Low: int
    Medium: int
    High: int
    Critical: int
    business_hours: SlaBusinessHoursOut


class SlaWeekOut(BaseModel):
    """Per weekday its hours, or null when closed."""

    Monday: Optional[SlaDayHours]
    Tuesday: Optional[SlaDayHours]
    Wednesday: Optional[SlaDayHours]
    Thursday: Optional[SlaDayHours]
    Friday: Optional[SlaDayHours]
    Saturday: Optional[SlaDayHours]
    Sunday: Optional[SlaDayHours]


class SlaHolidayOut(BaseModel):
    date: CalendarDate
    name: str


class SlaCalendarOut(BaseModel):
    """When business-hours SLA clocks run: the working week in a time zone, minus holidays."""

    timezone: str
    hours: SlaWeekOut
    holidays: list[SlaHolidayOut]


class AttachmentUpload(BaseModel):
    """The upload form: one file in the field `file`."""

    #: Read by the OpenAPI document: this body is a form, not JSON.
    media_type: ClassVar[str] = "multipart/form-data"

    file: bytes = Field(description="The file (pdf, png, jpeg, gif, webp, txt, csv, docx, xlsx)")


class AttachmentOut(Out):
    id: uuid.UUID
    task_id: uuid.UUID
    filename: str
    size: int
    content_type: str
    uploaded_by: uuid.UUID
    created_at: datetime
    download_url: str = Field(default="", description="Downloads the file for a few minutes")


# --- case watchers, notification defaults and the email digest ----------------------------


class CaseWatchersOut(BaseModel):
    case_id: uuid.UUID
    watchers: list[uuid.UUID]


class ExportOut(Out):
    id: uuid.UUID
    report: str
    filters: dict[str, Any]
    status: Literal["queued", "running", "done", "failed"]
    progress: int = Field(description="0 to 100")
    rows: Optional[int] = None
    bytes: Optional[int] = None
    error: Optional[str] = None
    created_at: datetime
    finished_at: Optional[datetime] = None
    download_url: Optional[str] = Field(default=None, description="Once done: downloads the CSV for a few minutes")


class EmailModeOut(BaseModel):
    email_mode: Literal["immediate", "daily_digest"]
    last_digest_at: Optional[datetime] = Field(default=None, description="When your last digest was queued")
