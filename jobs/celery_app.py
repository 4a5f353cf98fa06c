"""The Celery app of the production processes (broker on REDIS_URL): the export task, the
scheduled duties as tasks, and their beat schedule (jobs/duties.py SCHEDULE)."""
import threading
import uuid
from datetime import timedelta
from pathlib import Path

from celery import Celery
from celery.schedules import crontab
from flask import Flask

from jobs import duties, runs

#: The tasks' names (workers register them, the web process and beat only send them).
EXPORT_TASK = "workflow.exports.run"
DUTY_TASK = "jobs.duty"

_lock = threading.Lock()


def beat_schedule(config) -> dict:
    """Every duty of jobs/duties.py SCHEDULE on its period from the config (daily ones at HH:MM UTC)."""
    schedule = {}
    for duty in duties.SCHEDULE:
        if not duty.enabled(config):
            continue
        period, at = duty.period_seconds(config), duty.daily_at(config)
        every = timedelta(seconds=period) if period else crontab(hour=at.hour, minute=at.minute)
        schedule[duty.name] = {"task": DUTY_TASK, "schedule": every, "args": (duty.name,)}
    return schedule


def celery_app(app: Flask) -> Celery:
    """The app's Celery, with its tasks registered for its workers and its duties scheduled for beat."""
    with _lock:
        celery = app.extensions.get("export_celery")
        if celery is None:
            celery = Celery("workflow", broker=app.config["REDIS_URL"])
            celery.conf.update(
                task_ignore_result=True,
                # Acknowledged when done: a worker that dies mid-task hands it to another.
                task_acks_late=True,
                task_reject_on_worker_lost=True,
                worker_prefetch_multiplier=1,
                broker_connection_retry_on_startup=True,
                timezone="UTC",
                beat_schedule=beat_schedule(app.config),
                # Beat keeps when each duty last ran here (the instance folder is the writable one).
                beat_schedule_filename=app.config.get("BEAT_SCHEDULE_FILE")
                or str(Path(app.instance_path) / "celerybeat-schedule"),
            )

            # Not shared: a shared task would be given to every Celery app of the process, each
            # bound to its own Flask app (the tests run several).
            @celery.task(name=EXPORT_TASK, shared=False)
            def run_export(export_id: str) -> None:
                runs.export(app, uuid.UUID(export_id))

            @celery.task(name=DUTY_TASK, shared=False)
            def run_scheduled(name: str):
                return runs.duty(app, name)

            app.extensions["export_celery"] = celery
        return celery
