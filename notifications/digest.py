"""The daily email digest: one email a day instead of one per event, for users who choose it.

While a user's email mode is `daily_digest`, the outbox queues each event's email as an
EmailDigestItem instead of a message. `flask --app app notifications digest`, run once a day
(cron, a Kubernetes CronJob or an EventBridge schedule), turns each user's queued items into one
email: an outbox message written in the same transaction that marks the items taken, so a run
that dies half-way loses nothing and a second run sends nothing twice. The dispatcher then
delivers the digest like any other email, at least once, with its id as the Message-ID.
"""
import logging
import uuid
from datetime import datetime
from html import escape

from sqlalchemy import select, update

from db import session
from db.models import EmailDigestItem, EmailDigestSetting, OutboxMessage, User
from db.types import utcnow, uuid7
from notifications import outbox
from workflow.errors import ValidationFailed

log = logging.getLogger(__name__)

IMMEDIATE = "immediate"
DAILY_DIGEST = outbox.DAILY_DIGEST
EMAIL_MODES = (IMMEDIATE, DAILY_DIGEST)
#: A digest lists at most this many items and counts the rest, so one busy day cannot make a huge email.
MAX_LISTED = 200


def get_email_mode(*, user: User) -> dict:
    """{"email_mode", "last_digest_at"}: immediate unless the user chose the digest."""
    setting = session.get(EmailDigestSetting, user.id)
    return {
        "email_mode": setting.mode if setting else IMMEDIATE,
        "last_digest_at": setting.last_digest_at if setting else None,
    }


def set_email_mode(*, user: User, mode: str) -> dict:
    """Take email at once or as a daily digest; already queued items still go out in the next digest."""
    if mode not in EMAIL_MODES:
        raise ValidationFailed("unknown email mode", [{"field": "email_mode", "message": f"one of {', '.join(EMAIL_MODES)}"}])
    setting = session.get(EmailDigestSetting, user.id)
    if setting is None:
        session.add(EmailDigestSetting(user_id=user.id, mode=mode))
    else:
        setting.mode = mode
    session.commit()
    return get_email_mode(user=user)


def pending_items(*, user_id: uuid.UUID) -> list[EmailDigestItem]:
    """The user's items no digest has taken yet, oldest first."""
    return list(session.scalars(
        select(EmailDigestItem)
        .where(EmailDigestItem.user_id == user_id, EmailDigestItem.outbox_message_id.is_(None))
        .order_by(EmailDigestItem.created_at, EmailDigestItem.id)
    ))


def _payload(user: User, items: list[EmailDigestItem], since: datetime | None) -> dict:
    count = len(items)
    noun = "notification" if count == 1 else "notifications"
    listed, hidden = items[:MAX_LISTED], count - min(count, MAX_LISTED)
    heading = f"{count} {noun} since your last digest" if since else f"{count} {noun}"
    text_lines, html_items = [f"{heading}:", ""], []
    for item in listed:
        link = outbox.task_link(item.task_id) if item.task_id else None
        text_lines.append(f"- [{item.type.value}] {item.content}" + (f"\n  {link}" if link else ""))
        label = f"<strong>{escape(item.type.value)}</strong>: {escape(item.content)}"
        if link:
            label += f' (<a href="{escape(link, quote=True)}">{escape(item.task_title)}</a>)'
        html_items.append(f"<li>{label}</li>")
    if hidden:
        text_lines.append(f"... and {hidden} more")
        html_items.append(f"<li>and {hidden} more</li>")
    text = "\n".join(text_lines) + "\n"
    html = f"<p>{escape(heading)}:</p><ul>{''.join(html_items)}</ul>"
    return {"to": user.email, "subject": f"Your daily digest: {count} {noun}", "text": text, "html": html}


def _digest_one(user_id: uuid.UUID, now: datetime) -> bool:
    """Write one user's digest and mark their items taken, in one transaction; False if there is nothing to send."""
    # Locked and skipped, so two runs at once never take the same items (PostgreSQL; SQLite runs one writer).
    items = list(session.scalars(
        select(EmailDigestItem)
        .where(
            EmailDigestItem.user_id == user_id, EmailDigestItem.outbox_message_id.is_(None),
            EmailDigestItem.created_at <= now,
        )
        .order_by(EmailDigestItem.created_at, EmailDigestItem.id)
        .with_for_update(skip_locked=True)
    ))
    user = session.get(User, user_id)
    if not items or user is None or not user.is_active or not user.email:
        # A deactivated user or one without an address keeps their items: nothing is lost.
        session.rollback()
        return False
    setting = session.get(EmailDigestSetting, user_id)
    if setting is None:
        setting = EmailDigestSetting(user_id=user_id, mode=DAILY_DIGEST)
        session.add(setting)
    message = OutboxMessage(
        id=uuid7(), channel="email", user_id=user_id, payload=_payload(user, items, setting.last_digest_at),
        status="pending", attempts=0, next_attempt_at=utcnow(), created_at=now,
    )
    session.add(message)
    session.flush()
    session.execute(
        update(EmailDigestItem)
        .where(EmailDigestItem.id.in_([item.id for item in items]))
        .values(outbox_message_id=message.id)
    )
    setting.last_digest_at = now
    session.commit()
    return True


def send_digests(*, now: datetime | None = None) -> int:
    """Queue one digest email per user with items waiting; returns how many. Idempotent: taken items are never sent again."""
    now = now or utcnow()
    if not outbox.email_enabled():
        return 0  # the items wait for email to be configured
    user_ids = list(session.scalars(
        select(EmailDigestItem.user_id)
        .where(EmailDigestItem.outbox_message_id.is_(None), EmailDigestItem.created_at <= now)
        .distinct()
    ))
    session.rollback()
    sent = 0
    for user_id in sorted(user_ids):
        if _digest_one(user_id, now):
            sent += 1
    log.info("email digest: %d digests queued", sent)
    return sent
