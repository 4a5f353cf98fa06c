"""AWS Lambda entry points: email and SMS delivery for SNS notification events, the scheduled reminder scan
and the daily digest. Packaged by scripts/build-lambda with only what they import (no Dash, Plotly or pandas).

Serverless delivery: the web app publishes each notification event to SNS (SNS_TOPIC_ARN set, email
and SMS switched off there); a Lambda subscribed to the topic runs `notification_handler`, with
SMTP_URL or MAIL_SES (and SMS_ENABLED) set in its own environment. EventBridge schedules run
`reminder_handler` and `digest_handler`. All use the same database as the web app.
"""
import json
import logging
import threading
import uuid
from types import SimpleNamespace

from flask import Flask

from db import session
from db.models import EmailDigestItem, NotificationType, OutboxMessage, Task
from db.types import utcnow
from jobs.context import working_in
from jobs.runtime import create_job_app
from notifications import dispatcher, events, outbox
from workflow import digests, reminders

log = logging.getLogger(__name__)

#: The outbox id of one channel's message for one recipient of one SNS event: a repeated event maps to the same rows.
DELIVERY_NAMESPACE = uuid.UUID("6f1c7f55-2d4b-4f0e-9a57-3b1f4f1f2a10")

_app: Flask | None = None
_app_lock = threading.Lock()


def _build_app() -> Flask:
    """The app from the environment's configuration (DATABASE_URL, SECRET_KEY, SMTP_URL, ...)."""
    from config import Config

    return create_job_app(Config, exports=False)


def get_app() -> Flask:
    """The container's app, built on first use and kept for later invocations (warm starts)."""
    global _app
    with _app_lock:
        if _app is None:
            _app = _build_app()
        return _app


def _attributes(sns: dict) -> dict[str, str]:
    """SNS message attributes as name -> value (Lambda's shape: {"Type": ..., "Value": ...})."""
    return {name: attribute.get("Value") for name, attribute in (sns.get("MessageAttributes") or {}).items()}


def delivery_id(event_id: str, channel: str, user_id: uuid.UUID) -> uuid.UUID:
    """The idempotency key of one recipient's message on one channel for one event."""
    return uuid.uuid5(DELIVERY_NAMESPACE, f"{event_id}:{channel}:{user_id}")


def _planned(event_id: str, payload: dict) -> tuple[list[OutboxMessage], list[EmailDigestItem]]:
    """The email and SMS messages the event's recipients take, as they chose, for this container's channels,
    and the digest items of those who take their email as a daily digest (the outbox's one planner)."""
    kind = NotificationType(payload["type"])
    task_id = uuid.UUID(payload["task"])
    contents = {uuid.UUID(user_id): text for user_id, text in (payload.get("contents") or {}).items()}
    # The task may be gone since; the event carries its title.
    task = session.get(Task, task_id) or SimpleNamespace(id=task_id, title=payload.get("title", ""))
    return outbox.plan(
        events.deliveries_of(kind, task_id, contents), task=task, at=utcnow(),
        message_id=lambda channel, user_id: delivery_id(event_id, channel, user_id),
    )


def handle_sns_record(record: dict) -> dict:
    """Deliver one SNS record's email and SMS; returns counts."""
    sns = record["Sns"]
    attributes = _attributes(sns)
    # The outbox id travels as the `message_id` attribute: the same on every re-publication of the event.
    event_id = attributes.get("message_id") or sns["MessageId"]
    try:
        payload = json.loads(sns["Message"])
        planned, digest_items = _planned(event_id, payload)
    except (KeyError, TypeError, ValueError) as exc:
        # Not a notification event of ours: retrying it would not help.
        log.error("SNS message %s is not a notification event: %s", sns.get("MessageId"), exc)
        session.rollback()
        return {"sent": 0, "failed": 0, "skipped": 0, "invalid": 1}
    claim = dispatcher.claim_planned(planned, digest_items)
    # Sent, marked and fenced as the dispatcher's own claims are: a failure is left to the dispatcher to retry
    # with the same id (or dead at once if permanent), and a takeover after this function stalled changes nothing.
    result = dispatcher.deliver_claimed(claim)
    counts = {"sent": len(result.sent), "failed": len(result.failed) + len(result.dead),
              "skipped": len(planned) - len(claim.messages) + len(result.lost), "invalid": 0}
    log.info("SNS event %s: %d sent, %d failed, %d already handled", event_id, counts["sent"], counts["failed"], counts["skipped"])
    return counts


def notification_handler(event: dict, context=None) -> dict:
    """Lambda entry point for SNS: deliver each record's email and SMS once per event."""
    totals = {"sent": 0, "failed": 0, "skipped": 0, "invalid": 0}
    with working_in(get_app()):
        for record in event.get("Records") or []:
            if record.get("EventSource", "aws:sns") != "aws:sns" or "Sns" not in record:
                log.warning("skipping a record that is not from SNS: %s", record.get("EventSource"))
                continue
            for name, value in handle_sns_record(record).items():
                totals[name] += value
    return totals


def reminder_handler(event: dict, context=None) -> dict:
    """Lambda entry point for an EventBridge schedule: the due-date reminder scan (each reminder once)."""
    if event.get("detail-type") != "Scheduled Event":
        log.warning("reminder_handler called with %r, not a scheduled event; scanning anyway", event.get("detail-type"))
    with working_in(get_app()):
        count = reminders.remind()
    log.info("scheduled reminder scan (%s): %d reminders", ",".join(event.get("resources") or []) or "no rule", count)
    return {"reminders": count}


def digest_handler(event: dict, context=None) -> dict:
    """Lambda entry point for an EventBridge schedule: the email digests due now on each user's clock (each item once)."""
    with working_in(get_app()):
        count = digests.send_due_digests()
    log.info("scheduled digest (%s): %d digests queued", ",".join(event.get("resources") or []) or "no rule", count)
    return {"digests": count}
