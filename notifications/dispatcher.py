"""The outbox dispatcher: claims due messages, delivers each, marks it sent, dead or due again later.

Claiming is `SELECT ... FOR UPDATE SKIP LOCKED` then `status = 'sending'` with a lease and a fresh claim
token, committed before anything is sent: dispatchers in several processes never take the same message. On
SQLite the same statements run under its single-writer lock (BEGIN IMMEDIATE), with the same effect. A
message whose lease ran out (its dispatcher died or stalled) is due again, under a new token.

Every later write of a dispatcher (marks, lease renewals) requires its token, so one that lost its lease
changes nothing, and it renews the lease before a send that might outlast it, so it never starts a send
for a message another dispatcher may have taken.

Delivery is exactly-once as far as each channel allows. SMTP email and SNS events may be sent again
after a crash between send and mark, with the same id (Message-ID, `message_id` attribute) so receivers
drop the repeat; so may webhooks (the same X-Workflow-Delivery header). SMS and email through SES cannot be
de-duplicated by anyone: the start of each such send is recorded (fenced, committed) first, and a message
found started after a takeover is not sent again but dead as "delivery unknown" (at most once).
"""
import logging
import random
import smtplib
import socket
import ssl
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError, ParamValidationError
from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from aws import mail, metrics, sns
from db import release_session, session
from db.models import EmailDigestItem, OutboxMessage
from db.types import utcnow
from notifications import webhook_http, webhooks

log = logging.getLogger(__name__)

#: The message can never go as it is (a bad address, a header it cannot carry, refused by the receiver).
PERMANENT = "permanent"
#: The message did not go (the server was unreachable, busy or throttling): try again later.
TRANSIENT = "transient"
#: The message may have reached the receiver (a timeout waiting for the answer, a server error).
UNKNOWN = "unknown"

#: Why a message that cannot be sent twice was found started by a dispatcher that is gone.
STOPPED_MID_SEND = "delivery unknown: the dispatcher stopped mid-send"

#: Provider error codes that refuse the message itself: sending it again cannot succeed.
REFUSED_CODES = frozenset({"InvalidParameter", "InvalidParameterValue", "ParameterValueInvalid", "ValidationError",
                           "MessageRejected"})
#: Provider error codes that ask the sender to come back later.
THROTTLED_CODES = frozenset({"Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException",
                             "RequestLimitExceeded", "RequestThrottled", "SlowDown"})


@dataclass
class Result:
    """What one batch did; `lost`: messages left untouched because another dispatcher took them over."""

    sent: list[uuid.UUID] = field(default_factory=list)
    failed: list[uuid.UUID] = field(default_factory=list)
    dead: list[uuid.UUID] = field(default_factory=list)
    lost: list[uuid.UUID] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return len(self.sent) + len(self.failed) + len(self.dead)


@dataclass
class Claim:
    """Messages one dispatcher holds: `token` fences each of its writes, the lease runs to `until`.

    `held` shrinks when a lease renewal finds messages taken over; `stopped` are the messages the claim
    found started by a dispatcher that is gone, and made dead.
    """

    token: uuid.UUID
    until: datetime
    messages: list[OutboxMessage]
    stopped: list[uuid.UUID] = field(default_factory=list)
    held: set[uuid.UUID] = field(default_factory=set)

    def __post_init__(self):
        self.held = {message.id for message in self.messages}


def check_config(config) -> None:
    """Refuse settings under which one send could outlast the lease that covers it."""
    lease, send = config["OUTBOX_LEASE_SECONDS"], config["OUTBOX_SEND_TIMEOUT_SECONDS"]
    if not 0 < 3 * send <= lease:
        raise ValueError(
            f"OUTBOX_SEND_TIMEOUT_SECONDS ({send}) must be positive and at most a third of OUTBOX_LEASE_SECONDS "
            f"({lease}): a send must end well inside the lease that covers it"
        )


def _due(now: datetime):
    """Pending and due, or claimed by a dispatcher whose lease ran out."""
    return or_(
        and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == "sending", OutboxMessage.claimed_until <= now),
    )


def _lease(now: datetime) -> datetime:
    return now + timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])


def claim(*, now: datetime | None = None, limit: int | None = None) -> Claim:
    """Take up to `limit` due messages for this dispatcher: `sending` under a new token and lease, committed.

    A due message found started by a dispatcher that is gone, on a channel that cannot be sent twice,
    is made dead instead (STOPPED_MID_SEND).
    """
    config = current_app.config
    check_config(config)
    now = now or utcnow()
    limit = limit or config["OUTBOX_BATCH_SIZE"]
    token, until = uuid.uuid4(), _lease(now)
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.channel, OutboxMessage.status, OutboxMessage.send_started_at)
        .where(_due(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not rows:
        session.rollback()
        return Claim(token=token, until=until, messages=[])
    stopped = {row.id: row.channel for row in rows if row.status == "sending" and row.send_started_at is not None}
    taken = [row.id for row in rows if row.id not in stopped]
    if stopped:
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(list(stopped)))
            .values(status="dead", last_error=STOPPED_MID_SEND, claimed_until=None, claim_token=None)
        )
    if taken:
        # Counted at the claim, so a message that keeps killing its dispatcher still ends dead.
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(taken))
            .values(status="sending", claim_token=token, claimed_until=until, send_started_at=None,
                    attempts=OutboxMessage.attempts + 1)
        )
    session.commit()
    for message_id, channel in stopped.items():
        log.error("outbox message %s (%s) is dead: %s", message_id, channel, STOPPED_MID_SEND)
        metrics.put("NotificationsDead", 1, "Count", {"Channel": channel})
    messages = list(session.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_(taken))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .execution_options(populate_existing=True)
    ))
    session.commit()
    return Claim(token=token, until=until, messages=messages, stopped=list(stopped))


def claim_planned(messages: list[OutboxMessage], digest_items: list[EmailDigestItem]) -> Claim:
    """Record planned messages as claimed by this dispatcher (`sending`, under a new token and lease) and
    digest items, leaving out those already recorded; the claim holds the messages this dispatcher now sends.

    Messages named for their event (outbox.plan's `message_id`) make a repeated event find them all known;
    if this dispatcher dies, the lease runs out and another takes them over, as from any claim.
    """
    check_config(current_app.config)
    now = utcnow()
    token, until = uuid.uuid4(), _lease(now)
    if not messages and not digest_items:
        return Claim(token=token, until=until, messages=[])
    known = set(session.scalars(select(OutboxMessage.id).where(OutboxMessage.id.in_([m.id for m in messages]))))
    known |= set(session.scalars(select(EmailDigestItem.id).where(EmailDigestItem.id.in_([i.id for i in digest_items]))))
    fresh = [message for message in messages if message.id not in known]
    fresh_items = [item for item in digest_items if item.id not in known]
    if not fresh and not fresh_items:
        session.rollback()
        return Claim(token=token, until=until, messages=[])
    for message in fresh:
        message.status, message.attempts, message.next_attempt_at = "sending", 1, now
        message.claim_token, message.claimed_until = token, until
    session.add_all(fresh + fresh_items)
    try:
        session.commit()
    except IntegrityError:
        # A concurrent dispatcher recorded them first: it sends them.
        session.rollback()
        return Claim(token=token, until=until, messages=[])
    return Claim(token=token, until=until, messages=fresh)


def at_most_once(message: OutboxMessage) -> bool:
    """Whether a repeat of this message could not be dropped by its receiver: SMS, and email through SES
    (which replaces the Message-ID). Such a message is never sent twice, even if that means not at all."""
    if message.channel == "email":
        return not current_app.config.get("SMTP_URL")
    return message.channel == "sms"


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
    elif message.channel == "webhook":
        webhooks.deliver(message)
    elif message.channel == "email":
        fields = {key: payload[key] for key in ("to", "subject", "text", "html")}
        attachments = payload.get("attachments") or ()  # a report subscription's small file
        if config.get("SMTP_URL"):
            message_out = mail.build_message(sender=config["MAIL_FROM"], message_id=message_id, attachments=attachments, **fields)
            mail.send_smtp(url=config["SMTP_URL"], message=message_out, timeout=config["OUTBOX_SEND_TIMEOUT_SECONDS"])
        elif attachments:
            mail.send_ses_raw(message=mail.build_message(
                sender=config["MAIL_FROM"], message_id=message_id, attachments=attachments, **fields))
        else:
            mail.send_ses(sender=config["MAIL_FROM"], message_id=message_id, **fields)
    else:
        raise ValueError(f"unknown channel {message.channel!r}")


def classify(error: Exception) -> str:
    """PERMANENT (dead at once), TRANSIENT (not sent: retry later) or UNKNOWN (perhaps sent: retry only
    where the receiver drops repeats). Configuration mistakes are TRANSIENT: the messages wait for a fix."""
    kind = _classify_webhook(error)
    if kind is not None:
        return kind
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in THROTTLED_CODES:
            return TRANSIENT
        if status >= 500:
            return UNKNOWN
        # Other refusals (credentials, permissions, a missing topic) are the operator's to fix.
        return PERMANENT if code in REFUSED_CODES else TRANSIENT
    if isinstance(error, HTTPClientError):  # the request went out; the answer did not come back
        return UNKNOWN
    if isinstance(error, ParamValidationError):
        return PERMANENT
    if isinstance(error, BotoCoreError):  # before any request went out: no connection, no credentials
        return TRANSIENT
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return PERMANENT if codes and min(codes) >= 500 else TRANSIENT
    if isinstance(error, smtplib.SMTPDataError):  # the message refused: 5xx for good, 4xx for now
        return PERMANENT if error.smtp_code >= 500 else TRANSIENT
    if isinstance(error, smtplib.SMTPNotSupportedError):  # e.g. an address the server cannot carry
        return PERMANENT
    if isinstance(error, smtplib.SMTPResponseException):  # greeting, login, sender: the server or its setup
        return TRANSIENT
    if isinstance(error, (ValueError, TypeError, KeyError)):  # the message cannot be built (a CR/LF in a header)
        return PERMANENT
    if isinstance(error, (ConnectionRefusedError, socket.gaierror, RuntimeError)):
        return TRANSIENT
    return UNKNOWN


def _classify_webhook(error: Exception) -> str | None:
    """A webhook send's failure: a receiver's refusal (4xx but 408/429, an unfollowed redirect), an address
    it may not reach or a deleted endpoint is PERMANENT; anything else is retried (receivers drop repeats)."""
    if isinstance(error, (webhook_http.ReceiverRefused, webhook_http.AddressRefused, webhooks.EndpointGone)):
        return PERMANENT
    if isinstance(error, webhook_http.ReceiverFailed):
        return UNKNOWN
    if isinstance(error, (webhooks.SealBroken, ssl.SSLError)):  # SECRET_KEY or the receiver's certificate: fixable
        return TRANSIENT
    return None


def backoff(attempts: int) -> timedelta:
    """Exponential backoff after `attempts` failures, capped, with up to 25 % jitter so retries spread out."""
    config = current_app.config
    seconds = min(config["OUTBOX_BACKOFF_MAX_SECONDS"], config["OUTBOX_BACKOFF_SECONDS"] * 2 ** (attempts - 1))
    return timedelta(seconds=seconds * random.uniform(1.0, 1.25))


def _owned(claim: Claim, ids):
    """The WHERE of a write that only the claim's holder may make."""
    return and_(OutboxMessage.id.in_(ids), OutboxMessage.claim_token == claim.token, OutboxMessage.status == "sending")


def _write(claim: Claim, ids: list[uuid.UUID], **values) -> int:
    """Change the claim's messages among `ids` that it still holds, committed; how many it changed.
    A write of the status lets them go."""
    changed = session.execute(update(OutboxMessage).where(_owned(claim, ids)).values(**values)).rowcount
    session.commit()
    if "status" in values:
        claim.held.difference_update(ids)
    if changed < len(ids):
        log.warning("outbox claim %s: %d of %d messages were taken over by another dispatcher; left to it",
                    claim.token, len(ids) - changed, len(ids))
    return changed


def _hold(claim: Claim, now: datetime) -> None:
    """Before a send: renew the lease (fenced) if what is left of it might not cover one more send,
    and drop from `held` what another dispatcher took meanwhile."""
    send = current_app.config["OUTBOX_SEND_TIMEOUT_SECONDS"]
    # Twice a send: the send itself, then its mark, the clock skew between machines, a pause.
    if not claim.held or claim.until - now >= timedelta(seconds=2 * send):
        return
    ids, until = list(claim.held), _lease(now)
    session.execute(update(OutboxMessage).where(_owned(claim, ids)).values(claimed_until=until))
    claim.held = set(session.scalars(select(OutboxMessage.id).where(_owned(claim, ids))))
    session.commit()
    claim.until = until
    if len(claim.held) < len(ids):
        log.warning("outbox claim %s lost its lease on %d messages: another dispatcher took them over; "
                    "this one leaves them untouched", claim.token, len(ids) - len(claim.held))


def _start(claim: Claim, message: OutboxMessage, now: datetime) -> bool:
    """Record, committed, that a send that cannot be repeated is about to start; False if no longer held."""
    if _write(claim, [message.id], send_started_at=now):
        return True
    claim.held.discard(message.id)
    return False


def mark_sent(claim: Claim, ids: list[uuid.UUID], now: datetime) -> int:
    """Mark messages of the claim sent (those it still holds); how many were marked."""
    if not ids:
        return 0
    return _write(claim, ids, status="sent", sent_at=now, claimed_until=None, claim_token=None, last_error=None)


def mark_failed(claim: Claim, message: OutboxMessage, error: Exception, now: datetime) -> str | None:
    """Record a failed send: `dead` at once if permanent (or perhaps delivered, for a message that cannot be
    sent twice) or out of attempts, else `pending` with backoff. The new status, or None if not held."""
    kind = classify(error)
    reason = f"{type(error).__name__}: {error}"
    values = {"claimed_until": None, "claim_token": None}
    if kind == PERMANENT:
        status, reason = "dead", f"permanent error: {reason}"
    elif kind == UNKNOWN and at_most_once(message):
        status, reason = "dead", f"delivery unknown: {reason}"
    elif message.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        status = "dead"
    else:
        status = "pending"
        values.update(next_attempt_at=now + backoff(message.attempts), send_started_at=None)
    return status if _write(claim, [message.id], status=status, last_error=reason[:2000], **values) else None


def _failed(claim: Claim, message: OutboxMessage, error: Exception, now: datetime, result: Result) -> None:
    metrics.count_notification(message.channel, ok=False)
    status = mark_failed(claim, message, error, now)
    if status is None:
        result.lost.append(message.id)
    elif status == "dead":
        log.error("outbox message %s (%s) is dead after %d attempts (%s error): %s",
                  message.id, message.channel, message.attempts, classify(error), error)
        metrics.put("NotificationsDead", 1, "Count", {"Channel": message.channel})
        result.dead.append(message.id)
    else:
        log.warning("outbox message %s (%s) failed, attempt %d: %s", message.id, message.channel, message.attempts, error)
        result.failed.append(message.id)


#: Sent messages are marked together at most this often (and at the end of each batch): one commit for
#: many messages instead of one each, which halved throughput. A crash re-sends at most this much, with the
#: same ids (messages that cannot be sent twice are marked one by one).
MARK_SENT_EVERY_SECONDS = 1.0


def deliver_claimed(claim: Claim, *, now: datetime | None = None) -> Result:
    """Send each message of the claim while this dispatcher still holds it, and mark it; `now` fixes the
    clock (tests advance it)."""
    clock = (lambda: now) if now else utcnow
    result = Result(dead=list(claim.stopped))
    unmarked: list[uuid.UUID] = []
    marked_at = time.monotonic()
    try:
        for message in claim.messages:
            _hold(claim, clock())
            if message.id not in claim.held or (at_most_once(message) and not _start(claim, message, clock())):
                result.lost.append(message.id)
                continue
            try:
                deliver(message)
            except Exception as error:  # classified: retried later, or dead with the reason
                _failed(claim, message, error, clock(), result)
                continue
            metrics.count_notification(message.channel, ok=True)
            result.sent.append(message.id)
            if at_most_once(message):
                # At once: until it is marked, a stop would leave it "delivery unknown".
                mark_sent(claim, [message.id], clock())
            else:
                unmarked.append(message.id)
            if time.monotonic() - marked_at >= MARK_SENT_EVERY_SECONDS:
                mark_sent(claim, unmarked, clock())
                unmarked, marked_at = [], time.monotonic()
    finally:
        mark_sent(claim, unmarked, clock())
    return result


def dispatch_batch(*, now: datetime | None = None, limit: int | None = None) -> Result:
    """Claim one batch and deliver it; `now` is the clock (tests advance it)."""
    return deliver_claimed(claim(now=now, limit=limit), now=now)


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
        total.lost += result.lost


def run(*, stop: threading.Event) -> None:
    """Dispatch until `stop` is set, sleeping OUTBOX_POLL_SECONDS when nothing is due."""
    check_config(current_app.config)
    poll = current_app.config["OUTBOX_POLL_SECONDS"]
    while not stop.is_set():
        try:
            result = drain()
        except Exception:  # the database was away: try again next round
            log.exception("outbox dispatch failed")
            result = Result()
        finally:
            release_session()  # rolls back whatever failed; a lost connection is dropped, not fatal to the loop
        if result.handled:
            log.info("outbox: %d sent, %d to retry, %d dead", len(result.sent), len(result.failed), len(result.dead))
        stop.wait(poll)


def start_thread(app) -> threading.Event:
    """Run a dispatcher in a daemon thread of this process; set the returned event to stop it.

    Raises ValueError at once, in the caller, when the outbox settings are unsafe (check_config)."""
    check_config(app.config)
    stop = threading.Event()

    def target():
        with app.app_context():
            run(stop=stop)

    threading.Thread(target=target, name="outbox-dispatcher", daemon=True).start()
    return stop
