"""The outbox dispatcher: claims due messages, delivers each, marks it sent or schedules a retry.

Claiming is `SELECT ... FOR UPDATE SKIP LOCKED` then `status = 'sending'` with a lease, committed
before anything is sent: dispatchers in several processes never take the same message. On SQLite
the same statements run under its single-writer lock (BEGIN IMMEDIATE), with the same effect.
A message whose lease ran out (its dispatcher died mid-batch) is due again.

Delivery is at-least-once with an idempotency key: a crash after a send but before its mark
re-sends the message with the same id (SMTP Message-ID, SNS `message_id` attribute).
"""
import logging
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from aws import mail, metrics, sns
from db import session
from db.models import EmailDigestItem, OutboxMessage
from db.types import utcnow

log = logging.getLogger(__name__)


@dataclass
class Result:
    """What one batch did."""

    sent: list[uuid.UUID] = field(default_factory=list)
    failed: list[uuid.UUID] = field(default_factory=list)
    dead: list[uuid.UUID] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return len(self.sent) + len(self.failed) + len(self.dead)


def _due(now: datetime):
    """Pending and due, or claimed by a dispatcher whose lease ran out."""
    return or_(
        and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == "sending", OutboxMessage.claimed_until <= now),
    )


def claim(*, now: datetime | None = None, limit: int | None = None) -> list[OutboxMessage]:
    """Take up to `limit` due messages for this dispatcher: marked `sending` with a lease, committed."""
    config = current_app.config
    now = now or utcnow()
    limit = limit or config["OUTBOX_BATCH_SIZE"]
    ids = list(session.scalars(
        select(OutboxMessage.id)
        .where(_due(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ))
    if not ids:
        session.rollback()
        return []
    lease = now + timedelta(seconds=config["OUTBOX_LEASE_SECONDS"])
    # Counted at the claim, so a message that keeps killing its dispatcher still ends dead.
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids))
        .values(status="sending", claimed_until=lease, attempts=OutboxMessage.attempts + 1)
    )
    session.commit()
    messages = list(session.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .execution_options(populate_existing=True)
    ))
    session.commit()
    return messages


def claim_planned(messages: list[OutboxMessage], digest_items: list[EmailDigestItem]) -> list[OutboxMessage]:
    """Record planned messages as claimed by this dispatcher (`sending`, with a lease) and digest items,
    leaving out those already recorded; returns the messages this dispatcher now sends.

    Messages named for their event (outbox.plan's `message_id`) make a repeated event find them all known;
    if this dispatcher dies, the lease runs out and another sends them.
    """
    if not messages and not digest_items:
        return []
    known = set(session.scalars(select(OutboxMessage.id).where(OutboxMessage.id.in_([m.id for m in messages]))))
    known |= set(session.scalars(select(EmailDigestItem.id).where(EmailDigestItem.id.in_([i.id for i in digest_items]))))
    fresh = [message for message in messages if message.id not in known]
    fresh_items = [item for item in digest_items if item.id not in known]
    if not fresh and not fresh_items:
        session.rollback()
        return []
    now = utcnow()
    lease = now + timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    for message in fresh:
        message.status, message.attempts, message.next_attempt_at, message.claimed_until = "sending", 1, now, lease
    session.add_all(fresh + fresh_items)
    try:
        session.commit()
    except IntegrityError:
        # A concurrent dispatcher recorded them first: it sends them.
        session.rollback()
        return []
    return fresh


def deliver(message: OutboxMessage) -> None:
    """Send one message on its channel; raises on failure."""
    config = current_app.config
    payload = message.payload
    message_id = str(message.id)
    if message.channel == "sns":
        topic = config.get("SNS_TOPIC_ARN")
        if not topic:
            raise RuntimeError("SNS_TOPIC_ARN is not set")
        sns.publish_event(topic_arn=topic, message_id=message_id, payload=payload)
    elif message.channel == "sms":
        sns.send_sms(phone=payload["phone"], text=payload["text"], message_id=message_id)
    elif message.channel == "email":
        fields = {key: payload[key] for key in ("to", "subject", "text", "html")}
        if config.get("SMTP_URL"):
            message_out = mail.build_message(sender=config["MAIL_FROM"], message_id=message_id, **fields)
            mail.send_smtp(url=config["SMTP_URL"], message=message_out)
        else:
            mail.send_ses(sender=config["MAIL_FROM"], message_id=message_id, **fields)
    else:
        raise ValueError(f"unknown channel {message.channel!r}")


def backoff(attempts: int) -> timedelta:
    """Exponential backoff after `attempts` failures, capped, with up to 25 % jitter so retries spread out."""
    config = current_app.config
    seconds = min(config["OUTBOX_BACKOFF_MAX_SECONDS"], config["OUTBOX_BACKOFF_SECONDS"] * 2 ** (attempts - 1))
    return timedelta(seconds=seconds * random.uniform(1.0, 1.25))


def mark_sent(message: OutboxMessage, now: datetime) -> None:
    """Mark one message sent, at once."""
    _mark_all_sent([message.id], now)


#: Sent messages are marked together at most this often (and at the end of each batch): one commit for
#: many messages instead of one each, which halved throughput. A crash re-sends at most this much, with the same ids.
MARK_SENT_EVERY_SECONDS = 1.0


def _mark_all_sent(ids: list[uuid.UUID], now: datetime) -> None:
    if ids:
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(ids))
            .values(status="sent", sent_at=now, claimed_until=None, last_error=None)
        )
        session.commit()


def mark_failed(message: OutboxMessage, error: Exception, now: datetime) -> bool:
    """Record the failure; True if the message is now dead."""
    dead = message.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]
    values = {"last_error": f"{type(error).__name__}: {error}"[:2000], "claimed_until": None}
    if dead:
        values["status"] = "dead"
    else:
        values.update(status="pending", next_attempt_at=now + backoff(message.attempts))
    session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id).values(**values))
    session.commit()
    return dead


def dispatch_batch(*, now: datetime | None = None, limit: int | None = None) -> Result:
    """Claim one batch and deliver it; `now` is the clock (tests advance it)."""
    result = Result()
    unmarked: list[uuid.UUID] = []
    marked_at = time.monotonic()
    try:
        for message in claim(now=now, limit=limit):
            try:
                deliver(message)
            except Exception as error:  # any channel error is retried later; nothing is lost
                metrics.count_notification(message.channel, ok=False)
                at = now or utcnow()
                if mark_failed(message, error, at):
                    log.error("outbox message %s (%s) is dead after %d attempts: %s",
                              message.id, message.channel, message.attempts, error)
                    metrics.put("NotificationsDead", 1, "Count", {"Channel": message.channel})
                    result.dead.append(message.id)
                else:
                    log.warning("outbox message %s (%s) failed, attempt %d: %s",
                                message.id, message.channel, message.attempts, error)
                    result.failed.append(message.id)
                continue
            unmarked.append(message.id)
            metrics.count_notification(message.channel, ok=True)
            result.sent.append(message.id)
            if time.monotonic() - marked_at >= MARK_SENT_EVERY_SECONDS:
                _mark_all_sent(unmarked, now or utcnow())
                unmarked, marked_at = [], time.monotonic()
    finally:
        _mark_all_sent(unmarked, now or utcnow())
    return result


def drain(*, now: datetime | None = None) -> Result:
    """Dispatch batches until nothing is due."""
    total = Result()
    while True:
        result = dispatch_batch(now=now)
        if not result.handled:
            return total
        total.sent += result.sent
        total.failed += result.failed
        total.dead += result.dead


def run(*, stop: threading.Event) -> None:
    """Dispatch until `stop` is set, sleeping OUTBOX_POLL_SECONDS when nothing is due."""
    poll = current_app.config["OUTBOX_POLL_SECONDS"]
    while not stop.is_set():
        try:
            result = drain()
        except Exception:  # the database was away: try again next round
            log.exception("outbox dispatch failed")
            session.rollback()
            result = Result()
        finally:
            session.remove()
        if result.handled:
            log.info("outbox: %d sent, %d to retry, %d dead", len(result.sent), len(result.failed), len(result.dead))
        stop.wait(poll)


def start_thread(app) -> threading.Event:
    """Run a dispatcher in a daemon thread of this process; set the returned event to stop it."""
    stop = threading.Event()

    def target():
        with app.app_context():
            run(stop=stop)

    threading.Thread(target=target, name="outbox-dispatcher", daemon=True).start()
    return stop
