"""One unit of background work run inside an app: an export, or one run of a scheduled duty; each
releases its database session after (and a duty sends its metrics)."""
import logging
import uuid

from flask import Flask

from aws import metrics
from db import session
from jobs import duties
from workflow import exports

log = logging.getLogger(__name__)


def export(app: Flask, export_id: uuid.UUID) -> None:
    """Produce one export (a worker thread's or a Celery worker's entry point)."""
    with app.app_context():
        try:
            exports.run_export(export_id=export_id)
        except Exception:  # the export's own failures are recorded by run_export; this is the database's
            log.exception("export %s could not be run", export_id)
        finally:
            session.remove()


def duty(app: Flask, name: str):
    """One run of the duty `name`; returns what it returns."""
    with app.app_context():
        try:
            return duties.DUTIES[name].run()
        finally:
            session.remove()
            metrics.flush()
