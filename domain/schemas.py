"""Input schemas: what the API and the portal accept, validated the same way by both."""
import uuid
from datetime import date as CalendarDate
from datetime import datetime, timezone
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    WrapValidator,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from db.models import CaseStatus, Priority, Role, TaskStatus
from domain.sla import MAX_TARGET_MINUTES

#: PostgreSQL cannot store NUL characters in text, so no string accepts them.
NO_NUL = r"^[^\x00]*$"
#: No NUL, and at least one visible character.
VISIBLE = r"^[^\x00]*[^\s\x00][^\x00]*$"


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


def Text(min_length: int = 0, max_length: int = 10_000, strip: bool = True):
    """A string without NUL characters; when required (min_length > 0), not blank either."""
    return Annotated[
        str,
        StringConstraints(
            strip_whitespace=strip,
            min_length=min_length,
            max_length=max_length,
            pattern=VISIBLE if min_length else NO_NUL,
        ),
    ]


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]
Title = Text(1, 200)
Description = Text(0, 20_000, strip=False)
Tag = Text(1, 50)
Username = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{3,64}$")]
Email = Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@ \t\r\n\x00]+@[^@ \t\r\n\x00.]+(\.[^@ \t\r\n\x00.]+)+$")]
Phone = Annotated[str, StringConstraints(pattern=r"^\+[1-9][0-9]{6,14}$")]
Password = Text(10, 200, strip=False)
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
    version: Optional[int] = Field(default=None, ge=1, le=2**31 - 1, description="The version you edited; a stale one is refused with 409.")

    _tags = field_validator("tags")(_unique_tags)


class StatusChange(Schema):
    status: TaskStatus
    version: Optional[int] = Field(default=None, ge=1, le=2**31 - 1)


class CommentCreate(Schema):
    body: Text(1, 10_000, strip=False)


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
    """Admins change anything; users change their own full_name, email, phone and password."""

    username: Username = None
    email: Email = None
    full_name: FullName = None
    role: Role = None
    password: Password = None
    department: Optional[Department] = None
    phone: Optional[Phone] = None
    is_active: bool = None


class ChannelSettings(Schema):
    in_app: bool
    email: bool
    sms: bool


class ChannelSettingsUpdate(Schema):
    in_app: bool = None
    email: bool = None
    sms: bool = None


class NotificationSettingsUpdate(Schema):
    """A partial update: only the types named change (and of those, only the channels named)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False)

    task_assignment: ChannelSettingsUpdate = Field(default=None, alias="Task Assignment")
    status_change: ChannelSettingsUpdate = Field(default=None, alias="Status Change")
    due_date: ChannelSettingsUpdate = Field(default=None, alias="Due Date")
    comment: ChannelSettingsUpdate = Field(default=None, alias="Comment")



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


TargetMinutes = Annotated[int, Field(ge=1, le=MAX_TARGET_MINUTES)]


class SlaTargetSetting(Schema):
    """One priority's target: its minutes, whether it counts business hours only, or both."""

    minutes: Optional[TargetMinutes] = Field(default=None, description="Resolution target in minutes")
    business_hours: Optional[bool] = Field(
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

    Low: Optional[bool] = None
    Medium: Optional[bool] = None
    High: Optional[bool] = None
    Critical: Optional[bool] = None


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
    date: CalendarDate = Field(description="A whole day closed, in the calendar's time zone")
    name: Text(0, 100) = ""


class SlaCalendarUpdate(Schema):
    """The business-hours calendar; parts left out keep theirs, `holidays` replaces the whole list."""

    timezone: TimeZoneName = Field(default=None, description="IANA time zone, e.g. Europe/London")
    hours: SlaWeekUpdate = None
    holidays: list[SlaHolidayIn] = Field(default=None, max_length=366)


# --- exports ------------------------------------------------------------------------------


ExportReport = Literal["tasks", "sla", "workload", "status-flow", "flow-metrics"]


class ExportCreate(Schema):
    """What to export: the task list or an analytics report, with that report's filters."""

    report: ExportReport
    filters: dict[str, Any] = Field(
        default_factory=dict,
        description="The report's filters as its GET takes them (`tasks`: the task list's filters and `sort`; "
        "analytics: `date_from`, `date_to`, `department`, `assigned_to`, `priority`, `tag` and `table`).",
    )


class EmailModeUpdate(Schema):
    """How you take email notifications: one message per event, or one digest a day."""

    email_mode: Literal["immediate", "daily_digest"]
