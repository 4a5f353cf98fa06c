"""Where background exports run, by EXPORT_RUNNER: a thread pool in the web process, Celery workers on
Redis (`flask --app app exports worker`), or inline in the request; and the Celery app those workers and
the portal's background callbacks share."""
import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from flask import Flask

from db import session
from workflow import exports

log = logging.getLogger(__name__)

#: The Celery task's name (workers register it, the web process only sends it).
CELERY_TASK = "workflow.exports.run"

_lock = threading.Lock()


def run_in_app(app: Flask, export_id: uuid.UUID) -> None:
    """Produce one export inside `app` (a worker thread's or a Celery worker's entry point)."""
    with app.app_context():
        try:
            exports.run_export(export_id=export_id)
        except Exception:  # the export's own failures are recorded by run_export; this is the database's
            log.exception("export %s could not be run", export_id)
        finally:
            session.remove()


def _pool(app: Flask) -> ThreadPoolExecutor:
    with _lock:
        pool = app.extensions.get("export_pool")
        if pool is None:
            pool = ThreadPoolExecutor(max_workers=app.config["EXPORT_THREADS"], thread_name_prefix="export")
            app.extensions["export_pool"] = pool
        return pool


def celery_app(app: Flask):
    """The app's Celery (broker REDIS_URL), with the export task registered for its workers."""
    from celery import Celery

    with _lock:
        celery = app.extensions.get("export_celery")
        if celery is None:
            # The result backend holds the portal's background callbacks' progress and results.
            celery = Celery("workflow", broker=app.config["REDIS_URL"], backend=app.config["REDIS_URL"])
            celery.conf.update(
                task_ignore_result=True,
                # Acknowledged when done: a worker that dies mid-export hands it to another.
                task_acks_late=True,
                task_reject_on_worker_lost=True,
                worker_prefetch_multiplier=1,
                broker_connection_retry_on_startup=True,
            )

            # Not shared: a shared task would be given to every Celery app of the process, each
            # bound to its own Flask app (the tests run several).
            @celery.task(name=CELERY_TASK, shared=False)
            def run(export_id: str) -> None:
                run_in_app(app, uuid.UUID(export_id))

            app.extensions["export_celery"] = celery
        return celery


class BackgroundJobs:
    """What the layers below reach through `app.extensions["background_jobs"]`, without importing jobs/."""

    def __init__(self, app: Flask):
        self.app = app

    def submit_export(self, export_id: uuid.UUID) -> None:
        """Start the export in the background, by the configured runner."""
        runner = self.app.config["EXPORT_RUNNER"]
        if runner == "inline":
            exports.run_export(export_id=export_id)
        elif runner == "celery":
            celery_app(self.app).send_task(CELERY_TASK, args=[str(export_id)])
        else:
            _pool(self.app).submit(run_in_app, self.app, export_id)

    def celery(self):
        """The Celery app of the export workers (REDIS_URL), for the portal's background callbacks."""
        return celery_app(self.app)


def init_app(app: Flask) -> None:
    """Install the app's background runner."""
    app.extensions["background_jobs"] = BackgroundJobs(app)
