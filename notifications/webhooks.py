"""Webhook events: one outbox message per subscribed endpoint, written in the change's own transaction.

`emit` is the one entry point: the service functions in workflow/ call it before they commit, so an event
exists exactly when its change does. The dispatcher POSTs each message's body, signed with its endpoint's
secret (notifications/webhook_http.py), and retries it under the same delivery id: at least once.

Secrets are sealed at rest with keys derived from SECRET_KEY (the dispatcher needs them back to sign, so
a hash would not do): HMAC-SHA256 in counter mode as the keystream, then HMAC-SHA256 over nonce and
ciphertext (encrypt-then-MAC), from the standard library alone. Changing SECRET_KEY makes the stored
secrets unreadable: the endpoints must then be registered again.
"""
import base64
import enum
import hashlib
import hmac
import json
import os
import secrets
import time
import uuid
from datetime import date, datetime, timezone
from typing import Any

from flask import current_app
from sqlalchemy import select

from db import session
from db.models import Export, OutboxMessage, Task, Webhook
from db.types import list_contains, utcnow, uuid7
from domain.webhooks import EVENTS
from notifications import webhook_http

#: The "send test" event: delivered to one endpoint, whatever it subscribes to.
PING = "ping"
CHANNEL = "webhook"
SIGNATURE_HEADER = "X-Workflow-Signature"


# --- the body ---------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """JSON for what json.dumps cannot write itself: ids, moments (UTC, ISO-8601), enums."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def body(*, delivery_id: uuid.UUID, event: str, data: dict, at: datetime) -> str:
    """The JSON text sent: `{"id", "event", "created_at", "data"}`; stored as text, so retries send the
    very same bytes."""
    document = {"id": delivery_id, "event": event, "created_at": at, "data": data}
    return json.dumps(document, default=_plain, separators=(",", ":"), ensure_ascii=False)


def task_data(task: Task) -> dict:
    """A task as `GET /api/tasks/{id}` shows it (without `allowed_transitions`, which depend on the reader).

    Call after the change is flushed, so `version` is the one the change committed."""
    return {
        "id": task.id, "title": task.title, "description": task.description, "status": task.status,
        "priority": task.priority, "due_date": task.due_date, "assigned_to": task.assigned_to,
        "created_by": task.created_by, "created_at": task.created_at, "updated_at": task.updated_at,
        "case_id": task.case_id, "tags": list(task.tags or []), "version": task.version,
    }


def export_data(export: Export) -> dict:
    """An export as `GET /api/exports/{id}` shows it, without the download link: that expires within minutes,
    so the receiver asks `GET /api/exports/{id}` for a fresh one."""
    return {
        "id": export.id, "report": export.report, "filters": export.filters, "status": export.status,
        "progress": export.progress, "rows": export.rows, "bytes": export.bytes, "error": export.error,
        "requested_by": export.requested_by, "created_at": export.created_at, "finished_at": export.finished_at,
    }


def sign(secret: str, raw: bytes) -> str:
    """The signature header's value: `sha256=<hex HMAC-SHA256 of the raw body with the secret>`."""
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


# --- emitting ---------------------------------------------------------------------------------------------


def _message(endpoint_id: uuid.UUID, event: str, data: dict, at: datetime) -> OutboxMessage:
    delivery_id = uuid7()
    return OutboxMessage(
        id=delivery_id, channel=CHANNEL, user_id=None, webhook_id=endpoint_id, status="pending", attempts=0,
        next_attempt_at=utcnow(), created_at=at,
        payload={"event": event, "body": body(delivery_id=delivery_id, event=event, data=data, at=at)},
    )


def emit(*, event: str, data: dict, at: datetime | None = None) -> None:
    """Queue `event` for every active endpoint subscribed to it, in the caller's transaction (the caller
    commits). `data` is the event's object (a task as the API shows it, see `task_data`), JSON-able or made
    of ids, moments and enums."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    at = at or utcnow()
    # Without flushing the caller's pending change: it reaches the database once, at its own commit.
    with session.no_autoflush:
        endpoints = list(session.scalars(
            select(Webhook.id)
            .where(Webhook.active.is_(True),
                   list_contains(Webhook.events, event, session.get_bind().dialect.name))
            .order_by(Webhook.created_at, Webhook.id)
        ))
    session.add_all([_message(endpoint_id, event, data, at) for endpoint_id in endpoints])


def emit_ping(*, endpoint: Webhook, actor_name: str, at: datetime | None = None) -> OutboxMessage:
    """Queue a `ping` to one endpoint (the "send test" action); the caller commits."""
    at = at or utcnow()
    message = _message(endpoint.id, PING, {"webhook_id": endpoint.id, "sent_by": actor_name}, at)
    session.add(message)
    return message


# --- delivering -------------------------------------------------------------------------------------------


class EndpointGone(LookupError):
    """The message's endpoint was deleted since the event: it is not sent."""


def deliver(message: OutboxMessage) -> int:
    """POST one message's body to its endpoint, signed; the 2xx status, or raises (the dispatcher classifies)."""
    config = current_app.config
    endpoint = session.get(Webhook, message.webhook_id) if message.webhook_id else None
    if endpoint is None or not endpoint.active:
        raise EndpointGone("the webhook endpoint was deleted")
    raw = message.payload["body"].encode()
    timeout = config["OUTBOX_SEND_TIMEOUT_SECONDS"]
    started = time.monotonic()
    # Checked at every send, not only at registration: what the host resolves to may have changed.
    target = webhook_http.check(endpoint.url, allow_private=config["WEBHOOK_ALLOW_PRIVATE_NETWORKS"], timeout=timeout)
    headers = {
        "Content-Type": "application/json",
        "X-Workflow-Event": message.payload["event"],
        "X-Workflow-Delivery": str(message.id),
        SIGNATURE_HEADER: sign(unseal(endpoint.secret), raw),
    }
    # One deadline for the whole send, name resolution included: it must end inside the dispatcher's lease.
    left = max(0.1, timeout - (time.monotonic() - started))
    return webhook_http.post(target, raw, headers, timeout=left)


# --- secrets at rest ------------------------------------------------------------------------------------

_SEALED = "v1:"
_NONCE = 16
_TAG = 32


def new_secret() -> str:
    """A generated signing secret (256 random bits)."""
    return "whsec_" + secrets.token_urlsafe(32)


def _keys() -> tuple[bytes, bytes]:
    """The encryption and authentication keys, derived from SECRET_KEY (HKDF-SHA256, RFC 5869)."""
    master = current_app.config["SECRET_KEY"]
    if not master:
        raise RuntimeError("SECRET_KEY is not set: webhook secrets cannot be sealed")
    prk = hmac.new(b"workflow-webhook-secrets", master.encode(), hashlib.sha256).digest()
    okm, block = b"", b""
    for counter in (1, 2):
        block = hmac.new(prk, block + b"seal" + bytes([counter]), hashlib.sha256).digest()
        okm += block
    return okm[:32], okm[32:]


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (hmac.new(key, nonce + i.to_bytes(4, "big"), hashlib.sha256).digest() for i in range((length + 31) // 32))
    return b"".join(blocks)[:length]


def seal(secret: str) -> str:
    """The secret encrypted and authenticated for storage (`v1:` + base64 of nonce, ciphertext, tag)."""
    encryption, authentication = _keys()
    plain = secret.encode()
    nonce = os.urandom(_NONCE)
    cipher = bytes(a ^ b for a, b in zip(plain, _keystream(encryption, nonce, len(plain))))
    tag = hmac.new(authentication, nonce + cipher, hashlib.sha256).digest()
    return _SEALED + base64.urlsafe_b64encode(nonce + cipher + tag).decode()


class SealBroken(ValueError):
    """A stored secret that cannot be read back: altered, or sealed under another SECRET_KEY."""


def unseal(sealed: str) -> str:
    """The secret back from `seal`'s text; SealBroken if it was altered or SECRET_KEY changed."""
    if not sealed.startswith(_SEALED):
        raise SealBroken("not a sealed webhook secret")
    raw = base64.urlsafe_b64decode(sealed[len(_SEALED):].encode())
    nonce, cipher, tag = raw[:_NONCE], raw[_NONCE:-_TAG], raw[-_TAG:]
    encryption, authentication = _keys()
    if len(raw) < _NONCE + _TAG or not hmac.compare_digest(
            tag, hmac.new(authentication, nonce + cipher, hashlib.sha256).digest()):
        raise SealBroken("the webhook secret cannot be read: it was sealed under another SECRET_KEY")
    return bytes(a ^ b for a, b in zip(cipher, _keystream(encryption, nonce, len(cipher)))).decode()
