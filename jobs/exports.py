"""Where background exports run, by EXPORT_RUNNER: Celery workers on Redis (the Procfile's `worker`), a
thread pool in this process (the embedded default), or inline in the request."""
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from flask import Flask

from jobs import runs
from jobs.celery_app import EXPORT_TASK, celery_app
from workflow import exports

_lock = threading.Lock()


def _pool(app: Flask) -> ThreadPoolExecutor:
    with _lock:
        pool = app.extensions.get("export_pool")
        if pool is None:
            pool = ThreadPoolExecutor(max_workers=app.config["EXPORT_THREADS"], thread_name_prefix="export")
            app.extensions["export_pool"] = pool
        return pool


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
            celery_app(self.app).send_task(EXPORT_TASK, args=[str(export_id)])
        else:
            _pool(self.app).submit(runs.export, self.app, export_id)


def init_app(app: Flask) -> None:
    """Install the app's background runner."""
    app.extensions["background_jobs"] = BackgroundJobs(app)
