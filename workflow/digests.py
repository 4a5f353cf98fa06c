"""The daily email digest run: each user's queued items become one email, once a day.

The scheduled duty (`send_due_digests`, every SCHEDULE_DIGEST_SECONDS) sends each user theirs once their
own clock has read SCHEDULE_DIGEST_AT (notifications.digest.due_user_ids); `flask --app app notifications
digest` sends everyone's at once. Each user's queued items become one email: an outbox message written in the same transaction that marks the items taken, so a run
that dies half-way loses nothing and a second run sends nothing twice. The dispatcher then
delivers the digest like any other email, at least once, with its id as the Message-ID.
"""
import logging
import uuid
from datetime import datetime, time

from flask import current_app
from sqlalchemy import select, update

from db import session
from db.models import EmailDigestItem, EmailDigestSetting, OutboxMessage, User
from db.types import utcnow, uuid7
from notifications import digest, outbox

log = logging.getLogger(__name__)


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
        setting = EmailDigestSetting(user_id=user_id, mode=digest.DAILY_DIGEST)
        session.add(setting)
    message = OutboxMessage(
        id=uuid7(), channel="email", user_id=user_id, payload=digest.digest_payload(user, items, setting.last_digest_at),
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


def send_digests(*, now: datetime | None = None, at: time | None = None) -> int:
    """Queue one digest email per user with items waiting (with `at`, only those whose clock has read it since
    their oldest item); returns how many. Idempotent: taken items are never sent again."""
    now = now or utcnow()
    if not outbox.email_enabled():
        return 0  # the items wait for email to be configured
    if at is not None:
        user_ids = digest.due_user_ids(at=at, now=now)
    else:
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


def send_due_digests(*, now: datetime | None = None) -> int:
    """The scheduled run: the digests of users whose clock has read SCHEDULE_DIGEST_AT (HH:MM) since their oldest item."""
    return send_digests(now=now, at=time.fromisoformat(current_app.config["SCHEDULE_DIGEST_AT"]))
