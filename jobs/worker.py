"""`celery -A jobs.worker:celery worker` and `... beat`: the Procfile's worker and beat, on the
app built from the environment. Each worker also delivers the notification outbox, continuously."""
import logging

from celery.signals import worker_ready, worker_shutdown

from jobs.celery_app import celery_app
from jobs.runtime import create_job_app
from notifications import dispatcher

log = logging.getLogger(__name__)

flask_app = create_job_app()
if not flask_app.config.get("REDIS_URL"):
    raise SystemExit("set REDIS_URL: the worker and beat take their jobs and schedule from Redis")
try:
    dispatcher.check_config(flask_app.config)
except ValueError as exc:  # refused here: Celery would only log it from the thread's start
    raise SystemExit(str(exc)) from None
celery = celery_app(flask_app)
_stops = []


@worker_ready.connect
def _deliver_outbox(**_kwargs) -> None:
    # Several workers may run: their claims (SELECT ... FOR UPDATE SKIP LOCKED) never take the same message.
    _stops.append(dispatcher.start_thread(flask_app))
    log.info("delivering the notification outbox every %s s", flask_app.config["OUTBOX_POLL_SECONDS"])


@worker_shutdown.connect
def _stop_outbox(**_kwargs) -> None:
    for stop in _stops:
        stop.set()
