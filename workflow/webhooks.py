"""Webhook endpoints (Admin): register, list with their recent deliveries, delete, send a test event."""
import uuid
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select, update

from db import session
from db.models import OutboxMessage, User, Webhook
from db.pagination import Page, datetime_key, paginate
from db.types import utcnow, uuid7
from domain import rules
from domain.errors import Forbidden, NotFound, ValidationFailed
from domain.schemas import validate_webhook
from notifications import webhook_http, webhooks
from workflow import audit

#: Deliveries shown with each endpoint, newest first.
RECENT = 5
#: Why the pending deliveries of a deleted endpoint are dead.
DELETED = "the webhook endpoint was deleted"


@dataclass
class Registered:
    """A new endpoint and its secret in clear: shown this once, never again."""

    webhook: Webhook
    secret: str


@dataclass
class Listed:
    """An endpoint and its latest deliveries (OutboxMessage rows, newest first)."""

    webhook: Webhook
    recent: list[OutboxMessage] = field(default_factory=list)


def _check_admin(actor: User) -> None:
    if not rules.can_manage_webhooks(actor):
        raise Forbidden("only an Admin may manage webhooks")


def check_url(url: str) -> None:
    """Refuse a URL webhooks may not reach (SSRF), as a 422 on `url` that says why."""
    config = current_app.config
    try:
        webhook_http.check(url, allow_private=config["WEBHOOK_ALLOW_PRIVATE_NETWORKS"],
                           timeout=config["OUTBOX_SEND_TIMEOUT_SECONDS"])
    except (webhook_http.AddressRefused, OSError) as error:
        message = str(error) if isinstance(error, webhook_http.AddressRefused) else f"the host cannot be resolved: {error}"
        # The detail follows the field's name where the portal shows it: "The url cannot be used: ...".
        raise ValidationFailed(message, [{"field": "url", "message": f"cannot be used: {message}"}]) from None


def create_webhook(*, actor: User, url: str, events: list[str], secret: str | None = None) -> Registered:
    """Register an endpoint for `events`; without a secret one is generated. The secret is stored sealed and
    returned here only."""
    _check_admin(actor)
    checked = validate_webhook(url=url, events=events, secret=secret)
    check_url(checked.url)
    secret = checked.secret or webhooks.new_secret()
    webhook = Webhook(
        id=uuid7(), url=checked.url, events=checked.events, secret=webhooks.seal(secret), active=True,
        created_by=actor.id, created_at=utcnow(),
    )
    session.add(webhook)
    audit.record(actor=actor, action="webhook.created", target_type="webhook", target_id=webhook.id,
                 after={"url": webhook.url, "events": webhook.events, "secret_generated": checked.secret is None})
    session.commit()
    return Registered(webhook=webhook, secret=secret)


def _recent(ids: list[uuid.UUID]) -> dict[uuid.UUID, list[OutboxMessage]]:
    """The latest RECENT deliveries of each endpoint, in one query."""
    if not ids:
        return {}
    rank = func.row_number().over(
        partition_by=OutboxMessage.webhook_id, order_by=(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    ).label("rank")
    ranked = select(OutboxMessage.id, rank).where(OutboxMessage.webhook_id.in_(ids)).subquery()
    rows = session.scalars(
        select(OutboxMessage).join(ranked, ranked.c.id == OutboxMessage.id).where(ranked.c.rank <= RECENT)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    )
    found: dict[uuid.UUID, list[OutboxMessage]] = {}
    for message in rows:
        found.setdefault(message.webhook_id, []).append(message)
    return found


def list_webhooks(*, actor: User, limit: int, cursor: str | None) -> Page:
    """Endpoints not deleted, newest first, each with its latest deliveries (Listed items); Admins only."""
    _check_admin(actor)
    page = paginate(
        session(), select(Webhook).where(Webhook.deleted_at.is_(None)), id_column=Webhook.id,
        key=datetime_key(Webhook.created_at), sort="-created_at", descending=True, limit=limit, cursor=cursor,
    )
    recent = _recent([webhook.id for webhook in page.items])
    return Page([Listed(webhook, recent.get(webhook.id, [])) for webhook in page.items], page.next_cursor)


def _live(webhook_id: uuid.UUID) -> Webhook:
    webhook = session.get(Webhook, webhook_id)
    if webhook is None or webhook.deleted_at is not None:
        raise NotFound("webhook not found")
    return webhook


def get_webhook(*, actor: User, webhook_id: uuid.UUID) -> Webhook:
    """An endpoint not deleted; Admins only."""
    _check_admin(actor)
    return _live(webhook_id)


def delete_webhook(*, actor: User, webhook_id: uuid.UUID) -> None:
    """Stop sending to an endpoint: it leaves the list, and its deliveries still pending are dead."""
    _check_admin(actor)
    webhook = _live(webhook_id)
    webhook.active, webhook.deleted_at = False, utcnow()
    # `sending` ones are under a dispatcher's claim: it finds the endpoint gone and makes them dead itself.
    session.execute(
        update(OutboxMessage).where(OutboxMessage.webhook_id == webhook.id, OutboxMessage.status == "pending")
        .values(status="dead", last_error=DELETED)
    )
    audit.record(actor=actor, action="webhook.deleted", target_type="webhook", target_id=webhook.id,
                 before={"url": webhook.url, "events": webhook.events})
    session.commit()


def send_test(*, actor: User, webhook_id: uuid.UUID) -> OutboxMessage:
    """Queue a `ping` event to one endpoint (delivered like any event); the delivery it made."""
    _check_admin(actor)
    webhook = _live(webhook_id)
    message = webhooks.emit_ping(endpoint=webhook, actor_name=actor.username)
    audit.record(actor=actor, action="webhook.tested", target_type="webhook", target_id=webhook.id,
                 after={"delivery_id": str(message.id)})
    session.commit()
    return message
