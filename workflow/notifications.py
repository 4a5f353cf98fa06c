"""Changes to notifications and how they are delivered: marking read, preferences and their defaults,
the email mode, and retrying a dead outbox message. Each is validated, changed and committed here."""
import uuid

from sqlalchemy import false, update

from db import session
from db.models import (
    EmailDigestSetting,
    Notification,
    NotificationDefault,
    NotificationPreference,
    NotificationType,
    OutboxMessage,
    User,
)
from db.types import utcnow
from domain import rules
from domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from notifications import digest, preferences
from workflow import audit


def mark_read(*, user: User, notification_id: uuid.UUID) -> Notification:
    """Mark one of the user's notifications read; someone else's is not found."""
    notification = session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        raise NotFound("notification not found")
    if not notification.read:
        notification.read = True
        session.commit()
    return notification


def mark_all_read(*, user: User) -> int:
    """Mark all the user's notifications read; returns how many changed."""
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read == false())
        .values(read=True)
    )
    session.commit()
    return result.rowcount


def update_settings(
    *, user: User, changes: dict[NotificationType, dict[str, bool]]
) -> dict[str, dict[str, bool]]:
    """Apply a partial update of the user's own preferences: only the types (and channels) named change."""
    current = preferences.get_settings(user=user)
    for kind, channels in changes.items():
        merged = {**current[kind.value], **channels}
        pref = session.get(NotificationPreference, (user.id, kind))
        if pref is None:
            session.add(NotificationPreference(user_id=user.id, type=kind, **merged))
        else:
            for channel, enabled in merged.items():
                setattr(pref, channel, enabled)
    session.commit()
    return preferences.get_settings(user=user)


def update_defaults(
    *, actor: User, changes: dict[NotificationType, dict[str, bool]]
) -> dict[str, dict[str, bool]]:
    """Change the defaults (partial, like a user's settings); Admins only. Users' own choices stay."""
    if not rules.can_set_notification_defaults(actor):
        raise Forbidden("only an Admin may change the notification defaults")
    current = preferences.defaults()
    before, after = {}, {}
    for kind, channels in changes.items():
        merged = {**current[kind], **channels}
        if merged != current[kind]:
            before[kind.value], after[kind.value] = current[kind], merged
        row = session.get(NotificationDefault, kind)
        if row is None:
            session.add(NotificationDefault(type=kind, **merged))
        else:
            for channel, enabled in merged.items():
                setattr(row, channel, enabled)
    if after:
        audit.record(actor=actor, action="notifications.defaults_changed", target_type="notifications",
                     target_id="defaults", before=before, after=after)
    session.commit()
    return preferences.get_defaults()


def set_email_mode(*, user: User, mode: str) -> dict:
    """Take email at once or as a daily digest; already queued items still go out in the next digest."""
    if mode not in digest.EMAIL_MODES:
        raise ValidationFailed(
            "unknown email mode", [{"field": "email_mode", "message": f"one of {', '.join(digest.EMAIL_MODES)}"}]
        )
    setting = session.get(EmailDigestSetting, user.id)
    if setting is None:
        session.add(EmailDigestSetting(user_id=user.id, mode=mode))
    else:
        setting.mode = mode
    session.commit()
    return digest.get_email_mode(user=user)


def retry_message(*, actor: User, message_id: uuid.UUID) -> OutboxMessage:
    """Give a dead outbox message a fresh set of attempts, due now; Admins only."""
    if not rules.can_manage_outbox(actor):
        raise Forbidden("only an Admin may manage the notification outbox")
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound("outbox message not found")
    if message.status != "dead":
        raise Conflict(f"only a dead message can be retried; this one is {message.status}")
    message.status = "pending"
    message.attempts = 0
    message.next_attempt_at = utcnow()
    message.claimed_until = None
    session.commit()
    return message
