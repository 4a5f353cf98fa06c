"""The scheduled duties, each one run of its schedule: due-date reminders, the daily digest, the nightly
task snapshot and the SLA gauges. Each is safe to run twice (the work it does is recorded once)."""
from datetime import date, datetime, timezone

from sqlalchemy import func, select

from aws import metrics
from db import session
from domain.filters import TaskFilters
from reports import exports, policy, sla
from workflow import digests, reminders


def remind(*, now: datetime | None = None) -> int:
    """Notify of tasks due within 24 hours and of overdue tasks, each threshold once per task; returns how many."""
    return reminders.remind(now=now)


def send_digests(*, now: datetime | None = None) -> int:
    """Queue one digest email per user who chose it and has items waiting; returns how many."""
    return digests.send_digests(now=now)


def snapshot(*, day: date, force: bool = False):
    """Store every live task as snapshots/tasks-YYYY-MM-DD.csv: (key, what was produced or None if already stored)."""
    return exports.snapshot(day=day, force=force)


def sla_counts(now: datetime | None = None) -> dict[str, int]:
    """Open tasks past their SLA target, and at risk (75 % of it used)."""
    outcomes = sla.task_outcomes(TaskFilters(), policy.get_targets(), now or datetime.now(timezone.utc))
    rows = session.execute(
        select(outcomes.c.outcome, func.count()).where(outcomes.c.status != "Completed").group_by(outcomes.c.outcome)
    ).all()
    counts = dict(rows)
    return {"breached": int(counts.get(sla.BREACHED, 0)), "at_risk": int(counts.get(sla.AT_RISK, 0))}


def publish_sla_gauges(now: datetime | None = None) -> dict[str, int]:
    """Gauge the open tasks breaching and at risk of their SLA now; returns the counts."""
    counts = sla_counts(now)
    metrics.put("SLABreaches", counts["breached"], "Count")
    metrics.put("SLAAtRisk", counts["at_risk"], "Count")
    return counts
