"""Exports: who may export what, the export's states (queued -> running -> done | failed), and running
one (jobs/exports.py decides where: a thread pool in this process, Celery workers on Redis, or inline)."""
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Engine, and_, or_, select, update

from aws import storage
from db import session
from db.models import Export, Notification, NotificationType, Role, User
from db.pagination import Page, datetime_key, paginate
from db.types import utcnow, uuid7
from domain import rules
from domain.errors import Forbidden, NotFound
from notifications import webhooks
from reports import exports as files
from workflow import audit

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
#: An error message stored and shown is kept short (a storage error can be long).
MAX_ERROR = 500



def storage_key(export_id: uuid.UUID) -> str:
    """Where the export's file is stored: our id only, nothing the user sent."""
    return f"exports/{export_id}.csv"


EXPORT_REFUSALS = {"audit": "only an Admin may export the audit log",
                   "history": "only managers and admins may export the task history"}


def can_export(user: User, report: str) -> bool:
    """The task list: everyone who reads tasks; the audit log: Admins; the whole task history: supervisors;
    analytics reports: their readers."""
    if report == "audit":
        return rules.can_read_audit(user)
    if report == "history":
        return rules.can_export_history(user)
    return report == "tasks" or rules.can_view_analytics(user)


def request_export(*, actor: User, report: str, filters: dict | None = None) -> Export:
    """Queue an export of `report` narrowed by `filters` (already in JSON form) and start it in the background."""
    export = create_export(actor=actor, report=report, filters=filters)
    # The runner the entry point installed (jobs/exports.py): a thread pool, Celery workers, or inline.
    current_app.extensions["background_jobs"].submit_export(export.id)
    return export


def create_export(*, actor: User, report: str, filters: dict | None = None) -> Export:
    """The queued export of `report` narrowed by `filters` (request_export also starts it)."""
    filters = dict(filters or {})
    files.check(report, filters)
    if not can_export(actor, report):
        raise Forbidden(EXPORT_REFUSALS.get(report, "analytics are for managers, admins and viewers"))
    export = Export(
        id=uuid7(), requested_by=actor.id, report=report, filters=filters, status=QUEUED, progress=0, created_at=utcnow()
    )
    session.add(export)
    audit.record(actor=actor, action="export.requested", target_type="export", target_id=export.id,
                 after={"report": report, "filters": filters})
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
    if export.report in files.LOGS:
        return "the audit log" if export.report == "audit" else "the task history"
    return f"the {export.report} report ({files.table_name(export.report, export.filters).replace('_', ' ')})"


class LeaseLost(Exception):
    """Another worker took the export over (this one was too slow to renew its lease): stop, change nothing."""


def _lease(now: datetime) -> datetime:
    return now + timedelta(seconds=current_app.config["EXPORT_LEASE_SECONDS"])


def _claim(export_id: uuid.UUID) -> uuid.UUID | None:
    """Take a queued export, or a running one whose lease ran out (its worker died): the claim's token, else None."""
    now, token = utcnow(), uuid7()
    taken = session.execute(
        update(Export)
        .where(
            Export.id == export_id,
            or_(Export.status == QUEUED, and_(Export.status == RUNNING, Export.claimed_until < now)),
        )
        .values(status=RUNNING, progress=0, claim=token, claimed_until=_lease(now), attempts=Export.attempts + 1)
    ).rowcount
    session.commit()
    return token if taken == 1 else None


def _owned(export_id: uuid.UUID, token: uuid.UUID):
    """The WHERE of a write that only the claim's holder may make."""
    return and_(Export.id == export_id, Export.claim == token, Export.status == RUNNING)


def _progress_reporter(export_id: uuid.UUID, token: uuid.UUID) -> Callable[[int], None] | None:
    """Commit progress as it goes, renewing the lease, unless the session is pinned to one connection (the
    test suite's transaction), which the export's own reads may be using from another thread."""
    if not isinstance(session.get_bind(), Engine):
        return None

    def report(percent: int) -> None:
        kept = session.execute(
            update(Export).where(_owned(export_id, token)).values(progress=percent, claimed_until=_lease(utcnow()))
        ).rowcount
        session.commit()
        if not kept:
            raise LeaseLost(str(export_id))

    return report


def _finish(export_id: uuid.UUID, token: uuid.UUID, values: dict, notice) -> Export | None:
    """Record the outcome and tell the requester, if this claim still holds the export; else leave it be."""
    done = session.execute(
        update(Export).where(_owned(export_id, token)).values(claim=None, claimed_until=None, finished_at=utcnow(), **values)
    ).rowcount
    export = session.get(Export, export_id)
    session.refresh(export)
    if done:
        _notify(export, notice(export))
        if export.status == DONE:
            webhooks.emit(event="export.done", data=webhooks.export_data(export))
    session.commit()
    return export


def run_export(*, export_id: uuid.UUID) -> Export | None:
    """Produce a queued export, or take over one whose worker died: write, store, mark done or failed, and tell
    the requester in-app, the row's progress renewed as it goes. Run twice (a redelivered job), it does the work once.
    """
    token = _claim(export_id)
    export = session.get(Export, export_id)
    if token is None or export is None:
        return export  # done, failed, or held by a live worker
    session.refresh(export)
    key = storage_key(export.id)
    report, filters, created_at = export.report, dict(export.filters), export.created_at
    try:
        produced = files.produce(
            report=report, filters=filters, key=key, download_name=files.filename(report, filters, created_at),
            progress=_progress_reporter(export_id, token),
        )
    except LeaseLost:
        session.rollback()
        log.warning("export %s was taken over by another worker", export_id)
        return session.get(Export, export_id)
    except Exception as exc:  # any failure is the export's, told to its requester
        session.rollback()
        log.exception("export %s failed", export_id)
        error = (str(exc) or type(exc).__name__)[:MAX_ERROR]
        return _finish(export_id, token, {"status": FAILED, "error": error},
                       lambda export: f"Your export of {_label(export)} failed: {export.error}")
    return _finish(
        export_id, token,
        {"status": DONE, "progress": 100, "rows": produced.rows, "bytes": produced.bytes, "storage_key": key},
        lambda export: f"Your export of {_label(export)} is ready: {produced.rows} rows",
    )


def unfinished(*, now: datetime | None = None) -> list[uuid.UUID]:
    """Exports to run again: running ones whose lease ran out (their worker died) and queued ones nobody took
    within a lease (their job was lost). Those that used EXPORT_MAX_ATTEMPTS are failed instead, with the reason."""
    now = now or utcnow()
    stale = list(session.scalars(
        select(Export).where(
            or_(
                and_(Export.status == RUNNING, Export.claimed_until < now),
                and_(Export.status == QUEUED, Export.created_at < now - timedelta(seconds=current_app.config["EXPORT_LEASE_SECONDS"])),
            )
        ).order_by(Export.created_at)
    ))
    again = []
    for export in stale:
        if export.attempts >= current_app.config["EXPORT_MAX_ATTEMPTS"]:
            token = export.claim
            reason = f"its worker stopped {export.attempts} times before it was done"
            failed = session.execute(
                update(Export).where(Export.id == export.id, Export.claim == token, Export.status == export.status)
                .values(status=FAILED, error=reason, claim=None, claimed_until=None, finished_at=now)
            ).rowcount
            if failed:
                session.refresh(export)
                _notify(export, f"Your export of {_label(export)} failed: {reason}")
            session.commit()
        else:
            again.append(export.id)
    session.commit()
    return again
