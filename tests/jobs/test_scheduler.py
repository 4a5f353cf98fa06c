"""The duties' schedule: what beat is given, and when the embedded scheduler runs each duty next."""
from datetime import datetime, timedelta, timezone

from celery.schedules import crontab

from jobs import duties, scheduler
from jobs.celery_app import DUTY_TASK, beat_schedule

CONFIG = {
    "SCHEDULE_REMINDERS_SECONDS": 300, "SCHEDULE_SLA_GAUGES_SECONDS": 60, "SCHEDULE_ESCALATIONS_SECONDS": 60, "SCHEDULE_EXPORTS_SECONDS": 30,
    "SCHEDULE_FACTS_SECONDS": 10, "SCHEDULE_DIGEST_AT": "07:00", "SCHEDULE_DIGEST_SECONDS": 900, "SCHEDULE_SNAPSHOT_AT": "01:30", "METRICS_ENABLED": False,
    "SCHEDULE_SUBSCRIPTIONS_SECONDS": 300,
}


def test_beat_gets_every_duty_on_its_period_and_the_gauges_only_with_metrics():
    schedule = beat_schedule(CONFIG)
    assert set(schedule) == {"reminders", "escalations", "exports", "analytics-facts", "digest", "snapshot", "subscriptions"}
    assert schedule["subscriptions"]["schedule"] == timedelta(seconds=300)
    assert schedule["reminders"] == {"task": DUTY_TASK, "schedule": timedelta(seconds=300), "args": ("reminders",)}
    assert schedule["snapshot"]["schedule"] == crontab(hour=1, minute=30)
    assert "sla-gauges" in beat_schedule({**CONFIG, "METRICS_ENABLED": True})


def test_the_embedded_scheduler_runs_periodic_duties_a_period_later_and_daily_ones_at_their_time():
    at = datetime(2026, 12, 6, 8, 15, tzinfo=timezone.utc)
    assert scheduler.next_run(duties.DUTIES["reminders"], CONFIG, at) == at + timedelta(seconds=300)
    # The digest is checked every quarter hour: each user's goes at SCHEDULE_DIGEST_AT on their own clock.
    assert scheduler.next_run(duties.DUTIES["digest"], CONFIG, at) == at + timedelta(seconds=900)
    assert scheduler.next_run(duties.DUTIES["snapshot"], CONFIG, at.replace(hour=0)) == at.replace(hour=1, minute=30)
