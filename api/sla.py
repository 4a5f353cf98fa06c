"""SLA policy: the targets and the business-hours calendar, read by everyone signed in, set by an Admin."""
from flask import g

from api.base import BaseResource, dump, operation, parse_body
from api.schemas import SlaCalendarOut, SlaTargetsOut
from domain import calendar
from domain.schemas import SlaCalendarUpdate, SlaTargetsUpdate
from reports import policy
from workflow import sla as sla_policy


def _out(targets: dict) -> dict:
    flags = policy.get_business_hours()
    return dump(SlaTargetsOut, {
        **{priority.value: minutes for priority, minutes in targets.items()},
        "business_hours": {priority.value: flag for priority, flag in flags.items()},
    })


class SlaTargets(BaseResource):
    @operation(summary="SLA resolution targets", tag="sla", response=SlaTargetsOut)
    def get(self):
        """-> {"Low", "Medium", "High", "Critical": minutes, "business_hours": {"<priority>": bool}}: the
        resolution target per priority and whether its clock counts only business hours."""
        return _out(policy.get_targets())

    @operation(summary="Change SLA targets (Admin)", tag="sla", body=SlaTargetsUpdate, response=SlaTargetsOut, errors=(403,))
    def put(self):
        """{"<priority>": minutes | {"minutes", "business_hours"}, ..., "business_hours"?: {"<priority>": bool}}
        (partial; what GET returns is a valid body) -> every target; Admins only."""
        body = parse_body(SlaTargetsUpdate).model_dump(exclude_none=True)
        flags = body.pop("business_hours", None)
        return _out(sla_policy.set_targets(actor=g.user, targets=body, business_hours=flags))


def _calendar_out(work: calendar.WorkCalendar) -> dict:
    return dump(SlaCalendarOut, calendar.calendar_payload(work))


class SlaCalendarResource(BaseResource):
    @operation(summary="Business-hours calendar", tag="sla", response=SlaCalendarOut)
    def get(self):
        """-> {"timezone", "hours": {"Monday": {"start": "09:00", "end": "17:00"} | null, ...},
        "holidays": [{"date": "YYYY-MM-DD", "name"}]}: when business-hours SLA clocks run."""
        return _calendar_out(policy.get_calendar())

    @operation(summary="Change the business-hours calendar (Admin)", tag="sla", body=SlaCalendarUpdate,
               response=SlaCalendarOut, errors=(403,))
    def put(self):
        """{"timezone"?, "hours"?: {"<weekday>": {"start", "end"} | null}, "holidays"?: [{"date", "name"}]}
        (parts left out keep theirs; weekdays left out keep theirs; `holidays` replaces the list) -> the
        calendar; Admins only."""
        body = parse_body(SlaCalendarUpdate).model_dump(exclude_unset=True)
        return _calendar_out(sla_policy.set_calendar(actor=g.user, calendar_payload=body))
