"""The SLA policy in force, as every reader takes it: the target and business-hours flag of each
priority and the business-hours calendar (stored rows, else the defaults)."""
from sqlalchemy import select

from db import session
from db.models import Priority, SlaCalendar, SlaHoliday, SlaTarget
from domain.calendar import DEFAULT_CALENDAR, WorkCalendar, week_from_json
from domain.sla import DEFAULT_TARGET_MINUTES

#: The single row of `sla_calendar`.
CALENDAR_ID = 1


def get_policy() -> tuple[dict[Priority, int], dict[Priority, bool]]:
    """(target minutes, business-hours flag) per priority, in one query: the stored ones, the defaults for any not stored."""
    stored = {row.priority: row for row in session.execute(
        select(SlaTarget.priority, SlaTarget.target_minutes, SlaTarget.business_hours))}
    minutes = {p: stored[p].target_minutes if p in stored else DEFAULT_TARGET_MINUTES[p] for p in Priority}
    return minutes, {p: bool(stored[p].business_hours) if p in stored else False for p in Priority}


def get_targets() -> dict[Priority, int]:
    """Resolution target in minutes per priority: the stored ones, the defaults for any not stored."""
    return get_policy()[0]


def get_business_hours() -> dict[Priority, bool]:
    """Per priority, whether its clock counts only the business-hours calendar's working time (default False)."""
    return get_policy()[1]


def get_calendar() -> WorkCalendar:
    """The stored business-hours calendar, or the default (Mon-Fri 09:00-17:00 UTC, no holidays)."""
    row = session.get(SlaCalendar, CALENDAR_ID)
    holidays = session.execute(select(SlaHoliday.day, SlaHoliday.name).order_by(SlaHoliday.day)).all()
    return WorkCalendar(
        timezone=row.timezone if row is not None else DEFAULT_CALENDAR.timezone,
        hours=week_from_json(row.week) if row is not None else DEFAULT_CALENDAR.hours,
        holidays=frozenset(day for day, _name in holidays),
        holiday_names=tuple((day, name) for day, name in holidays),
    )
