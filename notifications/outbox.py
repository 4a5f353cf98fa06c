"""The transactional outbox: email, SMS and SNS messages written in the same transaction as the change.

A change and the messages that tell of it commit or roll back together; the dispatcher delivers
them afterwards (notifications/dispatcher.py says how each channel is delivered once: SMTP email
and SNS events may repeat under the same id, SMS and SES email never repeat).
"""
import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from html import escape

from flask import current_app
from sqlalchemy import select

from aws.sns import E164
from db import session
from db.models import EmailDigestItem, EmailDigestSetting, OutboxMessage, Task, User
from db.pagination import Page, datetime_key, paginate
from db.types import utcnow, uuid7
from domain import rules
from domain.errors import Forbidden

log = logging.getLogger(__name__)

CHANNELS = ("sns", "email", "sms", "webhook")
#: The email mode of users who take one digest a day instead of a message per event.
DAILY_DIGEST = "daily_digest"
STATUSES = ("pending", "sending", "sent", "dead")

_said: set[str] = set()


def _say_once(text: str) -> None:
    """Log a configuration fact once per process, not once per message."""
    if text not in _said:
        _said.add(text)
        log.info(text)


def sns_enabled() -> bool:
    """Events go to SNS only when a topic is configured."""
    if not current_app.config.get("SNS_TOPIC_ARN"):
        _say_once("SNS_TOPIC_ARN is not set: notification events are not published to SNS")
        return False
    return True


def email_enabled() -> bool:
    """Email needs an SMTP server or SES."""
    config = current_app.config
    if not (config.get("SMTP_URL") or config.get("MAIL_SES")):
        _say_once("neither SMTP_URL nor MAIL_SES is set: email notifications are off")
        return False
    return True


def sms_enabled() -> bool:
    """SMS goes through SNS when switched on."""
    if not current_app.config.get("SMS_ENABLED"):
        _say_once("SMS_ENABLED is off: SMS notifications are off")
        return False
    return True


def task_link(task_id: uuid.UUID) -> str:
    """The task's page as an absolute URL."""
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}/tasks/{task_id}"


def email_payload(*, to: str, kind: str, content: str, task: Task) -> dict:
    link = task_link(task.id)
    text = f"{content}\n\nOpen the task: {link}\n"
    html = (
        f"<p>{escape(content)}</p>"
        f'<p><a href="{escape(link, quote=True)}">Open the task: {escape(task.title)}</a></p>'
    )
    return {"to": to, "subject": f"[{kind}] {task.title}", "text": text, "html": html}


def plan(
    deliveries: list, *, task, at: datetime, message_id: Callable[[str, uuid.UUID], uuid.UUID] | None = None,
) -> tuple[list[OutboxMessage], list[EmailDigestItem]]:
    """Who gets what on which channel: the email and SMS messages of an event's deliveries, as each
    recipient chose, on the channels this process has switched on; email for a user who takes the daily
    digest becomes a digest item instead. Nothing is added to the session.

    `task` may stand in for a task deleted since (anything with `id` and `title`); `message_id(channel,
    user_id)` names each row (default: a new id), so that a repeated event can map to the same rows.
    """
    message_id = message_id or (lambda _channel, _user_id: uuid7())
    kind = deliveries[0].type.value if deliveries else None
    outside = {d.user_id for d in deliveries if d.channels & {"email", "sms"}}
    contacts = {}
    if outside:
        # Without flushing the pending change: it must reach the database once, at the caller's commit.
        with session.no_autoflush:
            rows = session.execute(
                select(User.id, User.email, User.phone, EmailDigestSetting.mode)
                .outerjoin(EmailDigestSetting, EmailDigestSetting.user_id == User.id)
                .where(User.id.in_(outside))
            )
            contacts = {row.id: row for row in rows}
    messages, digest_items = [], []

    def add(channel: str, user_id: uuid.UUID, payload: dict) -> None:
        messages.append(OutboxMessage(
            id=message_id(channel, user_id), channel=channel, user_id=user_id, payload=payload, status="pending",
            attempts=0, next_attempt_at=utcnow(), created_at=at,  # due at once, whatever time the event carries
        ))

    for delivery in deliveries:
        contact = contacts.get(delivery.user_id)
        if "email" in delivery.channels and email_enabled():
            if contact and contact.email and contact.mode == DAILY_DIGEST:
                # Queued for the user's next digest instead of sent now (workflow/digests.py).
                digest_items.append(EmailDigestItem(
                    id=message_id("digest", delivery.user_id), user_id=delivery.user_id, type=delivery.type,
                    content=delivery.content, task_id=task.id if isinstance(task, Task) else None,
                    task_title=task.title, created_at=at,
                ))
            elif contact and contact.email:
                add("email", delivery.user_id, email_payload(to=contact.email, kind=kind, content=delivery.content, task=task))
            else:
                log.info("user %s has no email address: email skipped", delivery.user_id)
        if "sms" in delivery.channels and sms_enabled():
            if contact and contact.phone and E164.match(contact.phone):
                add("sms", delivery.user_id, {"phone": contact.phone, "text": f"{delivery.content} {task_link(task.id)}"})
            else:
                log.info("user %s has no E.164 phone number: SMS skipped", delivery.user_id)
    return messages, digest_items


def enqueue(*, deliveries: list, actor_id: uuid.UUID | None, task: Task, at: datetime | None = None) -> list[OutboxMessage]:
    """Add the email and SMS messages of an event's deliveries and its SNS publication (the caller commits)."""
    if not deliveries:
        return []
    at = at or utcnow()
    messages, digest_items = plan(deliveries, task=task, at=at)
    if sns_enabled():
        messages.append(OutboxMessage(
            id=uuid7(), channel="sns", user_id=None, status="pending", attempts=0, next_attempt_at=utcnow(),
            created_at=at, payload={
                "type": deliveries[0].type.value,
                "user": str(actor_id) if actor_id else "system",
                "task": str(task.id),
                "title": task.title,
                "recipients": [str(d.user_id) for d in deliveries],
                "contents": {str(d.user_id): d.content for d in deliveries},
                "at": at.isoformat(),
            },
        ))
    session.add_all(messages)
    session.add_all(digest_items)
    return messages


# --- dead letters: an Admin lists them (workflow/notifications.py retries them) -----------


def list_messages(*, actor: User, status: str | None, limit: int, cursor: str | None) -> Page:
    """Outbox messages (of one status if given), newest first; Admins only."""
    if not rules.can_manage_outbox(actor):
        raise Forbidden("only an Admin may manage the notification outbox")
    statement = select(OutboxMessage)
    if status is not None:
        statement = statement.where(OutboxMessage.status == status)
    return paginate(
        session(), statement, id_column=OutboxMessage.id, key=datetime_key(OutboxMessage.created_at),
        sort="-created_at", descending=True, limit=limit, cursor=cursor,
    )
