"""The scheduled duties, each one run of its schedule: due-date reminders, the daily digest, the nightly
task snapshot, the SLA gauges and the takeover of exports whose worker died. Each is safe to run twice
(two schedulers, a retry): the work it does is recorded once. SCHEDULE lists them with their periods."""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timezone

from flask import current_app
from sqlalchemy import func, select

from aws import metrics
from db import session
from domain.filters import TaskFilters
from domain.rules import OPEN_STATUSES
from reports import exports, policy, sla
from workflow import analytics, digests, escalations, reminders
from workflow import exports as export_runs
from workflow import subscriptions


def sla_counts(now: datetime | None = None) -> dict[str, int]:
    """Open tasks past their SLA target, and at risk (75 % of it used)."""
    outcomes = sla.task_outcomes(TaskFilters(), policy.get_targets(), now or datetime.now(timezone.utc),
                                 statuses=OPEN_STATUSES)
    rows = session.execute(select(outcomes.c.outcome, func.count()).group_by(outcomes.c.outcome)).all()
    counts = dict(rows)
    return {"breached": int(counts.get(sla.BREACHED, 0)), "at_risk": int(counts.get(sla.AT_RISK, 0))}


def publish_sla_gauges(now: datetime | None = None) -> dict[str, int]:
    """Gauge the open tasks breaching and at risk of their SLA now; returns the counts."""
    counts = sla_counts(now)
    metrics.put("SLABreaches", counts["breached"], "Count")
    metrics.put("SLAAtRisk", counts["at_risk"], "Count")
    return counts


def snapshot_today() -> str:
    """Today's (UTC) snapshot, unless it is stored already: its key."""
    key, _produced = exports.snapshot(day=datetime.now(timezone.utc).date())
    return key


def resume_exports() -> int:
    """Submit again the exports whose worker died or whose job was lost (see workflow.exports.unfinished)."""
    again = export_runs.unfinished()
    for export_id in again:
        current_app.extensions["background_jobs"].submit_export(export_id)
    return len(again)


@dataclass(frozen=True)
class Duty:
    """A duty and when it runs: every `every` seconds, or once a day at `at` (HH:MM UTC), while `when` is
    set; each a config key."""

    name: str
    run: Callable[[], object]
    every: str | None = None
    at: str | None = None
    when: str | None = None

    def enabled(self, config) -> bool:
        return self.when is None or bool(config.get(self.when))

    def period_seconds(self, config) -> int | None:
        return int(config[self.every]) if self.every else None

    def daily_at(self, config) -> time | None:
        return time.fromisoformat(config[self.at]) if self.at else None


#: Every periodic duty, by name: what Celery beat schedules in production and `python app.py` runs in a thread.
SCHEDULE = (
    Duty("reminders", reminders.remind, every="SCHEDULE_REMINDERS_SECONDS"),
    # SLA warnings and breaches: reads the tasks whose due moment crossed a threshold since the last run.
    Duty("escalations", escalations.sweep, every="SCHEDULE_ESCALATIONS_SECONDS"),
    # Only while metrics go to CloudWatch: the count reads every open task.
    Duty("sla-gauges", publish_sla_gauges, every="SCHEDULE_SLA_GAUGES_SECONDS", when="METRICS_ENABLED"),
    Duty("exports", resume_exports, every="SCHEDULE_EXPORTS_SECONDS"),
    Duty("analytics-facts", analytics.rebuild_if_stale, every="SCHEDULE_FACTS_SECONDS"),
    # Often, not daily: each user's digest goes at SCHEDULE_DIGEST_AT on their own clock (zones differ by quarter hours).
    Duty("digest", digests.send_due_digests, every="SCHEDULE_DIGEST_SECONDS"),
    Duty("snapshot", snapshot_today, at="SCHEDULE_SNAPSHOT_AT"),
    # Often, not at one hour: each subscription comes at its own hour on its owner's clock.
    Duty("subscriptions", subscriptions.run_due, every="SCHEDULE_SUBSCRIPTIONS_SECONDS"),
)
DUTIES = {duty.name: duty for duty in SCHEDULE}
