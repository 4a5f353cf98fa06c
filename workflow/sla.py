"""Changing the SLA policy (Admins only): the targets per priority and the business-hours calendar
(domain/calendar.py); what each change moves is re-derived by the analytics job (workflow/analytics.py)."""
from sqlalchemy import delete

from db import session, status_intervals
from db.models import Priority, SlaCalendar, SlaHoliday, SlaTarget, User
from db.types import utcnow
from domain import rules
from domain import calendar as calendars
from domain.calendar import WorkCalendar, validate_calendar, week_to_json, working_spans
from domain.errors import Forbidden
from domain.sla import DEFAULT_TARGET_MINUTES, validate_policy
from reports.policy import CALENDAR_ID, get_calendar, get_policy, get_targets
from workflow import analytics, audit


def set_targets(*, actor: User, targets: dict, business_hours: dict | None = None) -> dict[Priority, int]:
    """Change the targets of the priorities given (Admin only); the others keep theirs. Returns all targets.

    A target is whole minutes, or {"minutes", "business_hours"} (either or both); `business_hours`
    may also be given on its own as {priority: bool}. See validate_policy.
    """
    if not rules.can_set_sla_targets(actor):
        raise Forbidden("only admins may change SLA targets")
    before = _policy_json()
    for priority, change in validate_policy(targets, business_hours).items():
        row = session.get(SlaTarget, priority)
        if row is None:
            row = SlaTarget(priority=priority, target_minutes=DEFAULT_TARGET_MINUTES[priority], business_hours=False)
            session.add(row)
        if "minutes" in change:
            row.target_minutes = change["minutes"]
        if "business_hours" in change:
            row.business_hours = change["business_hours"]
    analytics.mark_stale("the SLA targets changed")
    session.flush()
    old, new = audit.changed(before, _policy_json())
    audit.record(actor=actor, action="sla.targets_changed", target_type="sla", target_id="targets", before=old, after=new)
    session.commit()
    return get_targets()


def _policy_json() -> dict:
    """Each priority's target and clock, as the audit log keeps them."""
    minutes, business_hours = get_policy()
    return {p.value: {"minutes": minutes[p], "business_hours": business_hours[p]} for p in Priority}


def set_calendar(*, actor: User, calendar_payload: dict) -> WorkCalendar:
    """Change the business-hours calendar (Admin only); parts left out keep theirs, `holidays` replaces the list."""
    if not rules.can_set_sla_targets(actor):
        raise Forbidden("only admins may change the SLA calendar")
    before = get_calendar()
    calendar = validate_calendar(calendar_payload, before)
    row = session.get(SlaCalendar, CALENDAR_ID)
    if row is None:
        row = SlaCalendar(id=CALENDAR_ID)
        session.add(row)
    row.timezone = calendar.timezone
    row.week = week_to_json(calendar.hours)
    row.updated_at = utcnow()
    row.updated_by = actor.id
    if "holidays" in calendar_payload:
        session.execute(delete(SlaHoliday))
        session.add_all(SlaHoliday(day=day, name=name) for day, name in calendar.holiday_list())
    # The spans change with the calendar; the clocks measured on them are re-derived by the
    # background job, and the figures say they are being recomputed until it is done.
    status_intervals.replace_spans(session.connection(), working_spans(calendar))
    analytics.mark_stale("the business-hours calendar changed", working_time=True)
    audit.record(actor=actor, action="sla.calendar_changed", target_type="sla", target_id="calendar",
                 before=calendars.calendar_payload(before), after=calendars.calendar_payload(calendar))
    session.commit()
    return get_calendar()
