"""One unit of background work run inside an app: an export, or one run of a scheduled duty; each
releases its database session and sends its metrics after (jobs.context.working_in)."""
import logging
import uuid

from flask import Flask

from jobs import duties
from jobs.context import working_in
from workflow import exports

log = logging.getLogger(__name__)


def export(app: Flask, export_id: uuid.UUID) -> None:
    """Produce one export (a worker thread's or a Celery worker's entry point)."""
    with working_in(app):
        try:
            exports.run_export(export_id=export_id)
        except Exception:  # the export's own failures are recorded by run_export; this is the database's
            log.exception("export %s could not be run", export_id)


def duty(app: Flask, name: str):
    """One run of the duty `name`; returns what it returns."""
    with working_in(app):
        return duties.DUTIES[name].run()
