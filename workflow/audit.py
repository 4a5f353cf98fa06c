"""The audit log: every administrative change, sign-in and export, appended in the change's own transaction.

A service function calls `record` before its commit, so the change and its audit row commit or roll back
together; a failed sign-in has no change to join and commits its row alone (`record_now`). Rows are never
updated or deleted (the database refuses it). Admins read them (`list_events`) and export them as CSV.
"""
from typing import Any

from flask import has_request_context

from auth import client_address
from db import session
from db.models import AuditEvent, User
from db.pagination import Page, datetime_key, paginate
from db.types import utcnow, uuid7
from domain import rules
from domain.errors import Forbidden
from reports.audit_log import AuditFilters, events_statement
from workflow.history import jsonable

#: Every action the log records, by subject; `GET /api/audit?action=` takes one of these or a subject
#: (`user`) for all of its actions.
ACTIONS = (
    "auth.signed_in", "auth.sign_in_failed", "auth.signed_out_everywhere",
    "user.created", "user.updated", "user.password_changed", "user.deactivated", "user.reactivated",
    "token.created", "token.revoked",
    "webhook.created", "webhook.deleted", "webhook.tested",
    "sla.targets_changed", "sla.calendar_changed", "sla.escalation_rules_changed",
    "assignment.rules_changed", "notifications.defaults_changed", "board.wip_limits_changed",
    "export.requested", "export.delivered",
    "subscription.created", "subscription.deleted",
)
SUBJECTS = tuple(dict.fromkeys(action.split(".")[0] for action in ACTIONS))


def _address() -> str | None:
    return client_address()[:64] if has_request_context() else None


def record(
    *,
    actor: User | None,
    action: str,
    target_type: str | None = None,
    target_id: Any = None,
    before: dict | None = None,
    after: dict | None = None,
    actor_name: str | None = None,
) -> AuditEvent:
    """Add one audit row to the session (the caller commits with its change)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    event = AuditEvent(
        id=uuid7(), at=utcnow(), action=action,
        actor_id=actor.id if actor is not None else None,
        actor_name=(actor.username if actor is not None else actor_name),
        target_type=target_type, target_id=str(target_id) if target_id is not None else None,
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
        address=_address(),
    )
    session.add(event)
    return event


def record_now(**kwargs) -> None:
    """Record and commit at once: for an event with no change of its own (a failed sign-in)."""
    record(**kwargs)
    session.commit()


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the fields whose value differs, before and after."""
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


def list_events(*, actor: User, filters: AuditFilters, limit: int, cursor: str | None) -> Page:
    """Audit rows, newest first, narrowed by `filters`; Admins only."""
    if not rules.can_read_audit(actor):
        raise Forbidden("only an Admin may read the audit log")
    return paginate(
        session(), events_statement(filters), id_column=AuditEvent.id, key=datetime_key(AuditEvent.at), sort="-at",
        descending=True, limit=limit, cursor=cursor,
    )
