"""Exports: who may export what, the export's states (queued -> running -> done | failed), and running
one (jobs/exports.py decides where: a thread pool in this process, Celery workers on Redis, or inline)."""
import logging
import uuid
from collections.abc import Callable

from flask import current_app
from sqlalchemy import Engine, select

from aws import storage
from db import session
from db.models import Export, Notification, NotificationType, Role, User
from db.pagination import Page, datetime_key, paginate
from db.types import utcnow, uuid7
from domain import rules
from domain.errors import Forbidden, NotFound
from reports import exports as files

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
#: An error message stored and shown is kept short (a storage error can be long).
MAX_ERROR = 500



def storage_key(export_id: uuid.UUID) -> str:
    """Where the export's file is stored: our id only, nothing the user sent."""
    return f"exports/{export_id}.csv"


def can_export(user: User, report: str) -> bool:
    """The task list: everyone who reads tasks; analytics reports: their readers."""
    return report == "tasks" or rules.can_view_analytics(user)


def request_export(*, actor: User, report: str, filters: dict | None = None) -> Export:
    """Queue an export of `report` narrowed by `filters` (already in JSON form) and start it in the background."""
    export = create_export(actor=actor, report=report, filters=filters)
    # The runner the entry point installed (jobs/exports.py): a thread pool, Celery workers, or inline.
    current_app.extensions["background_jobs"].submit_export(export.id)
    return export


def create_export(*, actor: User, report: str, filters: dict | None = None) -> Export:
    """The queued export of `report` narrowed by `filters`, for a caller that runs it itself (run_export)."""
    filters = dict(filters or {})
    files.check(report, filters)
    if not can_export(actor, report):
        raise Forbidden("analytics are for managers, admins and viewers")
    export = Export(
        id=uuid7(), requested_by=actor.id, report=report, filters=filters, status=QUEUED, progress=0, created_at=utcnow()
    )
    session.add(export)
    session.commit()
    return export


def get_export(*, actor: User, export_id: uuid.UUID) -> Export:
    """The requester's export (an Admin reads any); anyone else's is not found."""
    export = session.get(Export, export_id)
    if export is None or (export.requested_by != actor.id and actor.role != Role.ADMIN):
        raise NotFound("export not found")
    return export


def list_exports(*, actor: User, limit: int, cursor: str | None) -> Page:
    """The actor's own exports, newest first."""
    return paginate(
        session(), select(Export).where(Export.requested_by == actor.id), id_column=Export.id,
        key=datetime_key(Export.created_at), sort="-created_at", descending=True, limit=limit, cursor=cursor,
    )


def download_url(export: Export) -> str | None:
    """A fresh, expiring link to a done export's file (presigned S3, or a signed local link); else None."""
    if export.status != DONE or not export.storage_key:
        return None
    name = files.filename(export.report, export.filters, export.created_at)
    return storage.download_url(export.storage_key, filename=name, content_type="text/csv; charset=utf-8")


# --- running -------------------------------------------------------------------------------


def _notify(export: Export, content: str) -> None:
    # In-app only, and whatever the preferences: the user asked for this export and waits for it.
    # No type fits exactly; an export changing status is closest to "Status Change".
    session.add(Notification(
        id=uuid7(), user_id=export.requested_by, content=content, type=NotificationType.STATUS_CHANGE,
        read=False, created_at=utcnow(),
    ))


def _label(export: Export) -> str:
    if export.report == "tasks":
        return "the task list"
    return f"the {export.report} report ({files.table_name(export.report, export.filters).replace('_', ' ')})"


def _progress_reporter(export_id: uuid.UUID, progress: Callable[[int], None] | None):
    """Commit progress as it goes, unless the session is pinned to one connection (the test suite's
    transaction), which the export's own reads may be using from another thread; and tell `progress`."""
    commit = isinstance(session.get_bind(), Engine)
    if not commit and progress is None:
        return None

    def report(percent: int) -> None:
        if commit:
            export = session.get(Export, export_id)
            export.progress = percent
            session.commit()
        if progress is not None:
            progress(percent)

    return report


def run_export(*, export_id: uuid.UUID, progress: Callable[[int], None] | None = None) -> Export | None:
    """Produce a queued export: write, store, mark done or failed, and tell the requester in-app.

    `progress` is told the percentage done as the export's row is (100 once it is done).
    """
    export = session.get(Export, export_id)
    if export is None or export.status != QUEUED:
        return export  # already taken (a redelivered job): run it once
    export.status, export.progress = RUNNING, 0
    session.commit()
    key = storage_key(export.id)
    report, filters, created_at = export.report, dict(export.filters), export.created_at
    try:
        produced = files.produce(
            report=report, filters=filters, key=key, download_name=files.filename(report, filters, created_at),
            progress=_progress_reporter(export_id, progress),
        )
    except Exception as exc:  # any failure is the export's, told to its requester
        session.rollback()
        log.exception("export %s failed", export_id)
        export = session.get(Export, export_id)
        export.status, export.error, export.finished_at = FAILED, (str(exc) or type(exc).__name__)[:MAX_ERROR], utcnow()
        _notify(export, f"Your export of {_label(export)} failed: {export.error}")
        session.commit()
        return export
    export = session.get(Export, export_id)
    export.status, export.progress, export.rows, export.bytes = DONE, 100, produced.rows, produced.bytes
    export.storage_key, export.finished_at = key, utcnow()
    _notify(export, f"Your export of {_label(export)} is ready: {produced.rows} rows")
    session.commit()
    if progress is not None:
        progress(100)
    return export
