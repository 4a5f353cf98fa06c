"""Input schemas: what the API and the portal accept, validated the same way by both."""
import re
import uuid
from datetime import date as CalendarDate
from datetime import datetime, timezone
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationError,
    WrapValidator,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from db.models import CaseStatus, Priority, Role, TaskStatus
from domain import times
from domain.errors import ValidationFailed
from domain.sla import MAX_TARGET_MINUTES
from domain.webhooks import EVENTS as WEBHOOK_EVENTS
from domain.webhooks import MAX_SECRET, MAX_URL, MIN_SECRET

#: PostgreSQL cannot store NUL characters in text, so no string accepts them.
NO_NUL = r"^[^\x00]*$"
#: No NUL, and at least one visible character.
VISIBLE = r"^[^\x00]*[^\s\x00][^\x00]*$"
#: Control characters no text takes: C0 but tab, line feed and carriage return (NUL among them), DEL, C1.
CONTROLS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
#: Tab and what breaks a line: a single-line value (a title, a name, an address) ends up in e-mail
#: headers, SMS, CSV cells and log lines, where these split or forge what follows.
LINE_BREAKS = r"\t\n\r\u2028\u2029"
#: Timestamps are ISO 8601 text: pydantic alone would also read a number as seconds since 1970.
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _utc(value: datetime) -> datetime:
    """Naive timestamps are taken as UTC; everything is stored in UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError("is out of range once converted to UTC") from None


def one_error(message: str):
    """Report a union's failure as one error on the field, not one per member type."""

    def validate(value, handler):
        try:
            return handler(value)
        except ValidationError:
            raise PydanticCustomError("invalid_value", message) from None

    return WrapValidator(validate)


def _text_pattern(refused: str, required: bool) -> str:
    """None of the refused characters; when required, at least one visible character."""
    if required:
        return rf"^[^{refused}]*[^\s{refused}][^{refused}]*$"
    return rf"^[^{refused}]*$"


def _explained(refused: str, multiline: bool = False, otherwise: str = "must not be blank"):
    """A pattern mismatch in words: a character that is not allowed, or else `otherwise`."""
    found = re.compile(f"[{refused}]")
    what = "control characters" if multiline else "control characters, tabs or line breaks"

    def validate(value, handler):
        try:
            return handler(value)
        except ValidationError as exc:
            if not isinstance(value, str) or exc.errors()[0]["type"] != "string_pattern_mismatch":
                raise
            message = f"must not contain {what}" if found.search(value) else otherwise
            raise PydanticCustomError("string_pattern_mismatch", message) from None

    return WrapValidator(validate)


def Text(min_length: int = 0, max_length: int = 10_000, strip: bool = True, multiline: bool = False):
    """Text of one line (the default) or of several (tabs and line breaks allowed), never with control
    characters; when required (min_length > 0), not blank either.

    The constraints apply to the value as sent, so the OpenAPI document states exactly what is
    accepted; surrounding blanks are stripped afterwards.
    """
    refused = CONTROLS if multiline else CONTROLS + LINE_BREAKS
    constraints = StringConstraints(
        min_length=min_length, max_length=max_length, pattern=_text_pattern(refused, min_length > 0)
    )
    if strip:
        return Annotated[str, constraints, _explained(refused, multiline), AfterValidator(str.strip)]
    return Annotated[str, constraints, _explained(refused, multiline)]


def _iso_8601(example: str):
    """Text that starts with a date (or a date itself), never a number."""

    def check(value: Any) -> Any:
        if isinstance(value, str) and ISO_DATE.match(value) or isinstance(value, CalendarDate):
            return value
        raise PydanticCustomError("datetime_from_date_parsing", f"must be ISO 8601, e.g. {example}")

    return BeforeValidator(check)


def _query_bool(value: Any) -> Any:
    """`true` or `false`, as a boolean query parameter is written (pydantic alone also reads 1, yes, on...)."""
    if isinstance(value, bool) or value in ("true", "false"):
        return value
    raise PydanticCustomError("bool_parsing", "must be true or false")


UtcDatetime = Annotated[datetime, _iso_8601("2026-05-01T09:00:00Z"), AfterValidator(_utc)]
IsoDate = Annotated[CalendarDate, _iso_8601("2026-05-01")]
#: A boolean query parameter. JSON bodies take StrictBool (and StrictInt): true, not "true" or 1.
QueryBool = Annotated[bool, BeforeValidator(_query_bool)]
Title = Text(1, 200)
Description = Text(0, 20_000, strip=False, multiline=True)
Tag = Text(1, 50)
Username = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{3,64}$")]
_ADDRESS_PART = rf"[^@ .{CONTROLS}{LINE_BREAKS}]+"
Email = Annotated[
    str,
    StringConstraints(max_length=254, pattern=rf"^[^@ {CONTROLS}{LINE_BREAKS}]+@{_ADDRESS_PART}(\.{_ADDRESS_PART})+$"),
    _explained(CONTROLS + LINE_BREAKS, otherwise="must be an address like name@example.com"),
]
Phone = Annotated[str, StringConstraints(pattern=r"^\+[1-9][0-9]{6,14}$")]


def _known_zone(value: str) -> str:
    if not times.is_zone(value):
        raise PydanticCustomError("time_zone", "must be an IANA time zone such as America/New_York")
    return value


TimeZone = Annotated[str, StringConstraints(max_length=64), AfterValidator(_known_zone)]
Password = Text(10, 200, strip=False)
#: A password to check, not to set: only NUL and blank are refused, so a password set under older rules still signs in.
Secret = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=VISIBLE)]
Department = Text(1, 100)
FullName = Text(1, 200)
Cursor = Text(1, 1000)
SearchText = Text(1, 200)


class Schema(BaseModel):
    """Requests refuse fields they do not know.

    In partial updates a field typed without Optional but defaulting to None may be left
    out (unchanged) but not sent as null: defaults are not validated, explicit values are.
    """

    model_config = ConfigDict(extra="forbid")


def _unique_tags(tags: Optional[list[str]]) -> Optional[list[str]]:
    if tags is None:
        return None
    return list(dict.fromkeys(tags))


# --- tasks ------------------------------------------------------------------------------


class TaskCreate(Schema):
    title: Title
    description: Description = ""
    priority: Priority = Priority.MEDIUM
    due_date: Optional[UtcDatetime] = None
    assigned_to: Optional[uuid.UUID] = None
    case_id: Optional[uuid.UUID] = None
    tags: list[Tag] = Field(default_factory=list, max_length=20)

    _tags = field_validator("tags")(_unique_tags)


class TaskUpdate(Schema):
    """Partial update: only the fields sent change; `null` clears due_date, assignee or case."""

    # Non-Optional fields here may be left out but not set to null (see Schema).
    title: Title = None
    description: Description = None
    priority: Priority = None
    status: TaskStatus = None
    due_date: Optional[UtcDatetime] = None
    assigned_to: Optional[uuid.UUID] = None
    case_id: Optional[uuid.UUID] = None
    tags: list[Tag] = Field(default=None, max_length=20)
    version: Optional[StrictInt] = Field(default=None, ge=1, le=2**31 - 1, description="The version you edited; a stale one is refused with 409.")

    _tags = field_validator("tags")(_unique_tags)


class StatusChange(Schema):
    status: TaskStatus
    version: Optional[StrictInt] = Field(default=None, ge=1, le=2**31 - 1)


class CommentCreate(Schema):
    body: Text(1, 10_000, strip=False, multiline=True)


class WatcherChange(Schema):
    user_id: Optional[uuid.UUID] = Field(default=None, description="Defaults to yourself.")


# --- cases ------------------------------------------------------------------------------


class CaseCreate(Schema):
    title: Title
    description: Description = ""


class CaseUpdate(Schema):
    title: Title = None
    description: Description = None
    status: CaseStatus = None


# --- users ------------------------------------------------------------------------------


class UserCreate(Schema):
    username: Username
    email: Email
    full_name: FullName
    role: Role
    password: Password
    department: Optional[Department] = None
    phone: Optional[Phone] = Field(default=None, description="E.164, e.g. +447700900123")


class UserUpdate(Schema):
    """Admins change anything; users change their own full_name, email, phone, time_zone, away, away_until and password
    (with current_password)."""

    username: Username = None
    email: Email = None
    full_name: FullName = None
    role: Role = None
    password: Password = None
    #: Required with `password` when changing your own (an Admin resetting someone else's sends none).
    current_password: Annotated[str, StringConstraints(min_length=1, max_length=200)] = None
    department: Optional[Department] = None
    phone: Optional[Phone] = None
    #: null: none (times then show in UTC).
    time_zone: Optional[TimeZone] = Field(default=None, description="IANA name, e.g. America/New_York")
    is_active: StrictBool = None
    away: StrictBool = Field(default=None, description="Away (leave): auto-assignment passes you over; sent alone, "
                                                       "until further notice (false: back)")
    away_until: Optional[UtcDatetime] = Field(default=None, description="When you are back (in the future; with away "
                                                                        "true): from then on you count as back")


class ChannelSettings(Schema):
    in_app: StrictBool
    email: StrictBool
    sms: StrictBool


class ChannelSettingsUpdate(Schema):
    in_app: StrictBool = None
    email: StrictBool = None
    sms: StrictBool = None


class NotificationSettingsUpdate(Schema):
    """A partial update: only the types named change (and of those, only the channels named)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False)

    task_assignment: ChannelSettingsUpdate = Field(default=None, alias="Task Assignment")
    status_change: ChannelSettingsUpdate = Field(default=None, alias="Status Change")
    due_date: ChannelSettingsUpdate = Field(default=None, alias="Due Date")
    comment: ChannelSettingsUpdate = Field(default=None, alias="Comment")
    sla_warning: ChannelSettingsUpdate = Field(default=None, alias="SLA Warning")
    sla_breach: ChannelSettingsUpdate = Field(default=None, alias="SLA Breach")



# --- analytics reports and SLA targets --------------------------------------------------

#: Report dates outside these years are typos, and would make weekly series absurdly long.
REPORT_YEARS = (1970, 2200)
#: The longest date range a report covers (about ten years of weeks and sampled days).
MAX_REPORT_DAYS = 3700


def _report_moment(value: datetime) -> datetime:
    if not REPORT_YEARS[0] <= value.year < REPORT_YEARS[1]:
        raise ValueError(f"must be between {REPORT_YEARS[0]} and {REPORT_YEARS[1]}")
    return value


ReportDatetime = Annotated[UtcDatetime, AfterValidator(_report_moment)]


class AnalyticsQuery(Schema):
    """The filters every analytics report takes, and its format."""

    model_config = ConfigDict(extra="ignore")

    date_from: Optional[ReportDatetime] = Field(default=None, description="Start of the period (included).")
    date_to: Optional[ReportDatetime] = Field(default=None, description="End of the period (excluded).")
    department: Optional[Department] = Field(default=None, description="The current assignee's department.")
    assigned_to: Annotated[Optional[uuid.UUID | Literal["none"]], one_error("must be a user id or 'none'")] = Field(
        default=None, description="A user id, or `none` for unassigned tasks."
    )
    priority: Optional[Priority] = None
    tag: Optional[Tag] = None
    format: Literal["json", "csv"] = Field(default="json", description="`csv` streams one table of the report.")

    @model_validator(mode="after")
    def _range(self):
        if self.date_from is not None and self.date_to is not None:
            if self.date_to <= self.date_from:
                raise ValueError("date_to must be after date_from")
            if (self.date_to - self.date_from).days > MAX_REPORT_DAYS:
                raise ValueError(f"the date range may span at most {MAX_REPORT_DAYS} days")
        return self


class ForecastQuery(AnalyticsQuery):
    """A forecast: the filters choose the team whose throughput is sampled (their date range is not used)."""

    weeks: int = Field(default=12, ge=1, le=104, description="Weeks of daily throughput the simulation samples.")
    by: Optional[CalendarDate] = Field(default=None, description="A day after today: how many tasks are done by its end.")
    case_id: Optional[uuid.UUID] = Field(
        default=None, description="Forecast this case's open tasks (at the pace of the filtered team), not the team's backlog.")
    format: Literal["json"] = Field(default="json", description="JSON only.")


TargetMinutes = Annotated[StrictInt, Field(ge=1, le=MAX_TARGET_MINUTES)]


class SlaTargetSetting(Schema):
    """One priority's target: its minutes, whether it counts business hours only, or both."""

    minutes: Optional[TargetMinutes] = Field(default=None, description="Resolution target in minutes")
    business_hours: Optional[StrictBool] = Field(
        default=None, description="Count only the working time of the business-hours calendar (GET /api/sla/calendar)"
    )


#: Whole minutes (the original body) or the object with the flag.
TargetValue = Annotated[
    Union[TargetMinutes, SlaTargetSetting],
    one_error(f"whole minutes from 1 to {MAX_TARGET_MINUTES}, or {{\"minutes\", \"business_hours\"}}"),
]


def _target_value():
    return Field(default=None, description="Minutes, or {\"minutes\", \"business_hours\"}")


class SlaBusinessHoursUpdate(Schema):
    """Per priority: true to count only business hours; priorities left out keep theirs."""

    Low: Optional[StrictBool] = None
    Medium: Optional[StrictBool] = None
    High: Optional[StrictBool] = None
    Critical: Optional[StrictBool] = None


class SlaTargetsUpdate(Schema):
    """Resolution targets; priorities left out keep theirs. Each is whole minutes (`{"High": 1440}`) or
    `{"minutes", "business_hours"}`; the flags may also come as `business_hours`, the shape GET returns."""

    Low: Optional[TargetValue] = _target_value()
    Medium: Optional[TargetValue] = _target_value()
    High: Optional[TargetValue] = _target_value()
    Critical: Optional[TargetValue] = _target_value()
    business_hours: Optional[SlaBusinessHoursUpdate] = None


HourMinute = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
TimeZoneName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_+/-]{0,63}$")]


class SlaDayHours(Schema):
    """One day's working hours in the calendar's local time, closing after opening."""

    start: HourMinute = Field(description="Opening time, HH:MM", examples=["09:00"])
    end: HourMinute = Field(description="Closing time, HH:MM", examples=["17:00"])


class SlaWeekUpdate(Schema):
    """Per weekday its hours, or null for closed; weekdays left out keep theirs."""

    Monday: Optional[SlaDayHours] = None
    Tuesday: Optional[SlaDayHours] = None
    Wednesday: Optional[SlaDayHours] = None
    Thursday: Optional[SlaDayHours] = None
    Friday: Optional[SlaDayHours] = None
    Saturday: Optional[SlaDayHours] = None
    Sunday: Optional[SlaDayHours] = None


class SlaHolidayIn(Schema):
    date: IsoDate = Field(description="A whole day closed, in the calendar's time zone")
    name: Text(0, 100) = ""


class SlaCalendarUpdate(Schema):
    """The business-hours calendar; parts left out keep theirs, `holidays` replaces the whole list."""

    timezone: TimeZoneName = Field(default=None, description="IANA time zone, e.g. Europe/London")
    hours: SlaWeekUpdate = None
    holidays: list[SlaHolidayIn] = Field(default=None, max_length=366)


# --- exports ------------------------------------------------------------------------------


ExportReport = Literal["tasks", "sla", "workload", "status-flow", "flow-metrics", "audit", "history"]


class ExportCreate(Schema):
    """What to export: the task list or an analytics report, with that report's filters."""

    report: ExportReport
    filters: dict[str, Any] = Field(
        default_factory=dict,
        description="The report's filters as its GET takes them (`tasks`: the task list's filters and `sort`; "
        "analytics: `date_from`, `date_to`, `department`, `assigned_to`, `priority`, `tag` and `table`; `audit` (Admin): "
        "the filters of GET /api/audit; `history` (Managers, Admins): `task_id`, `changed_by`, `change_type`, "
        "`date_from`, `date_to`).",
    )


class EmailModeUpdate(Schema):
    """How you take email notifications: one message per event, or one digest a day."""

    email_mode: Literal["immediate", "daily_digest"]


# --- webhooks --------------------------------------------------------------------------------

#: A secret: printable ASCII without blanks (it is typed into the receiver's configuration too).
WebhookSecret = Annotated[str, StringConstraints(min_length=MIN_SECRET, max_length=MAX_SECRET, pattern=r"^[!-~]+$")]
WebhookUrl = Annotated[str, StringConstraints(min_length=1, max_length=MAX_URL, pattern=r"^[!-~]+$")]
WebhookEvent = Literal[WEBHOOK_EVENTS]


class WebhookCreate(Schema):
    """An endpoint to register: an http(s) URL on a public address, the events it takes, and optionally its secret."""

    url: WebhookUrl = Field(description="http:// or https:// URL; loopback and private addresses are refused")
    events: list[WebhookEvent] = Field(min_length=1, description="The events to send it (at least one)")
    secret: Optional[WebhookSecret] = Field(
        default=None, description=f"{MIN_SECRET} to {MAX_SECRET} printable characters; left out, one is generated "
        "and returned once")


def validate_webhook(*, url, events, secret) -> WebhookCreate:
    """The registration checked field by field (the portal's form and the API alike); ValidationFailed names
    every bad field."""
    try:
        checked = WebhookCreate.model_validate({"url": url, "events": events, "secret": secret or None})
    except ValidationError as error:
        details = [{"field": ".".join(str(part) for part in e["loc"]) or "body", "message": e["msg"]}
                   for e in error.errors()]
        raise ValidationFailed("invalid webhook", details) from None
    # Each event once, in the order given.
    return checked.model_copy(update={"events": list(dict.fromkeys(checked.events))})
