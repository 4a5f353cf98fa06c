"""The analytics page's headline figures for a period, each beside the same figure for the period before it."""
from dataclasses import replace
from datetime import datetime, timedelta

from domain.filters import TaskFilters
from domain.rules import OPEN_STATUSES
from reports import drill, facts, flow, sla
from reports.sql import now_or

#: Days the figures cover when the filters have no date range: the last week, today included.
DEFAULT_DAYS = 7


def periods(filters: TaskFilters, now: datetime) -> tuple[tuple[datetime, datetime], tuple[datetime, datetime]]:
    """(this period, the one just before it and as long): the filters' date range, else the last DEFAULT_DAYS days."""
    end = filters.date_to or facts.day_start(now.date()) + timedelta(days=1)
    start = filters.date_from or end - timedelta(days=DEFAULT_DAYS)
    return (start, end), (start - (end - start), start)


def _open_at_end_of(filters: TaskFilters, day) -> int:
    """Open tasks at the end of `day` (UTC), or now if that is today."""
    start = facts.day_start(day)
    counts = flow.cumulative_flow(filters=replace(filters, date_from=start, date_to=start + timedelta(days=1)))
    open_names = {status.value for status in OPEN_STATUSES}
    return int(counts.loc[counts["status"].isin(open_names), "tasks"].sum())


def kpis(*, filters: TaskFilters, now: datetime | None = None) -> dict:
    """Each headline figure as {"value", "previous"} (previous None where the past is not kept), and the periods.

    compliance_pct, breached: SLA compliance of the period (sla.compliance). completed and
    cycle_p50_hours: tasks completed in the period and their median cycle time. open: open tasks at
    the period's end (now, for a period up to today) beside those at its start. at_risk: open tasks
    at risk now (the watchlist's rule); a state of the moment, with no earlier value kept.
    """
    now = now_or(now)
    (start, end), (before, _) = periods(filters, now)
    current, previous = replace(filters, date_from=start, date_to=end), replace(filters, date_from=before, date_to=start)
    sla_now, sla_before = sla.compliance(filters=current, now=now), sla.compliance(filters=previous, now=now)
    done_now, done_before = flow.cycle_lead_percentiles(current), flow.cycle_lead_percentiles(previous)
    last_day = min(end - timedelta(microseconds=1), now).date()
    anytime = replace(filters, date_from=None, date_to=None)
    return {
        "period": {"date_from": start, "date_to": end, "previous_from": before},
        "compliance_pct": {"value": sla_now["compliance_pct"], "previous": sla_before["compliance_pct"]},
        "breached": {"value": sla_now["breached"], "previous": sla_before["breached"]},
        "completed": {"value": done_now["tasks"], "previous": done_before["tasks"]},
        "cycle_p50_hours": {"value": done_now["cycle_p50_hours"], "previous": done_before["cycle_p50_hours"]},
        "open": {"value": _open_at_end_of(anytime, last_day),
                 "previous": _open_at_end_of(anytime, (start - timedelta(days=1)).date())},
        "at_risk": {"value": drill.sla_tasks(filters=anytime, outcome=sla.AT_RISK, now=now).total(), "previous": None},
    }
