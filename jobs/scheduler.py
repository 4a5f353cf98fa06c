"""The embedded default's stand-in for Celery beat: one thread of `python app.py` runs every duty of
jobs/duties.py SCHEDULE on its period (daily ones at their UTC time), one after another."""
import logging
import threading
from datetime import datetime, timedelta, timezone

from flask import Flask

from jobs import duties, runs

log = logging.getLogger(__name__)


def next_run(duty: duties.Duty, config, after: datetime) -> datetime:
    """When `duty` is due next after `after`: a period later, or at its next daily time."""
    period = duty.period_seconds(config)
    if period:
        return after + timedelta(seconds=period)
    at = duty.daily_at(config)
    due = after.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return due if due > after else due + timedelta(days=1)


def start_thread(app: Flask) -> threading.Event:
    """Run the enabled duties in a daemon thread of this process; set the returned event to stop it."""
    stop = threading.Event()
    enabled = [duty for duty in duties.SCHEDULE if duty.enabled(app.config)]
    now = datetime.now(timezone.utc)
    # Periodic duties run once at start (reminders due since the last run go out at once).
    due = {duty.name: now if duty.every else next_run(duty, app.config, now) for duty in enabled}

    def loop() -> None:
        while not stop.wait(1.0):
            for duty in enabled:
                now = datetime.now(timezone.utc)
                if now < due[duty.name]:
                    continue
                try:
                    runs.duty(app, duty.name)
                except Exception:  # the database was away: the next period tries again
                    log.exception("scheduled duty %s failed", duty.name)
                due[duty.name] = next_run(duty, app.config, now)

    threading.Thread(target=loop, name="scheduler", daemon=True).start()
    log.info("scheduled duties in this process: %s", ", ".join(duty.name for duty in enabled))
    return stop
