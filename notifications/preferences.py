"""Per user, per notification type, per channel preferences, with defaults an Admin may change.

A user's stored choice wins; without one, the Admin's default for the type (a row of
notification_defaults); without that, the built-in DEFAULTS below.
"""
import uuid

from sqlalchemy import and_, select

from db import session
from db.models import NotificationDefault, NotificationPreference, NotificationType, User

CHANNELS = ("in_app", "email", "sms")

#: Built in: in-app for everything; email for what needs action; SMS is opt-in.
DEFAULTS: dict[NotificationType, dict[str, bool]] = {
    NotificationType.TASK_ASSIGNMENT: {"in_app": True, "email": True, "sms": False},
    NotificationType.STATUS_CHANGE: {"in_app": True, "email": False, "sms": False},
    NotificationType.DUE_DATE: {"in_app": True, "email": True, "sms": False},
    NotificationType.COMMENT: {"in_app": True, "email": False, "sms": False},
    # SLA escalations need action: a warning before the target passes, a breach notice to managers too.
    NotificationType.SLA_WARNING: {"in_app": True, "email": True, "sms": False},
    NotificationType.SLA_BREACH: {"in_app": True, "email": True, "sms": False},
}


def defaults() -> dict[NotificationType, dict[str, bool]]:
    """Every type's default channels: the Admin's where set, else the built-in ones."""
    merged = {kind: dict(channels) for kind, channels in DEFAULTS.items()}
    # Without flushing: this runs while an event's change is still pending.
    with session.no_autoflush:
        for row in session.scalars(select(NotificationDefault)):
            merged[row.type] = {channel: getattr(row, channel) for channel in CHANNELS}
    return merged


def get_defaults() -> dict[str, dict[str, bool]]:
    """The defaults in the settings body's shape: {"<type>": {"in_app", "email", "sms"}}."""
    return {kind.value: channels for kind, channels in defaults().items()}


def get_settings(*, user: User) -> dict[str, dict[str, bool]]:
    """Every type with every channel: the user's choice, else the default."""
    stored = {
        pref.type: pref
        for pref in session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    fallback = defaults()
    settings = {}
    for kind in NotificationType:
        pref = stored.get(kind)
        settings[kind.value] = (
            {channel: getattr(pref, channel) for channel in CHANNELS} if pref else dict(fallback[kind])
        )
    return settings


def enabled_channels(*, user_ids: set[uuid.UUID], kind: NotificationType) -> dict[uuid.UUID, frozenset[str]]:
    """Per active user among `user_ids`, the channels they take `kind` on, in one query.

    Deactivated users are left out: they get nothing.
    """
    if not user_ids:
        return {}
    # The Admin's default rides along in the same query (an outer join on the type alone).
    rows = session.execute(
        select(
            User.id,
            NotificationPreference.in_app, NotificationPreference.email, NotificationPreference.sms,
            NotificationDefault.in_app, NotificationDefault.email, NotificationDefault.sms,
        )
        .outerjoin(
            NotificationPreference,
            and_(NotificationPreference.user_id == User.id, NotificationPreference.type == kind),
        )
        .outerjoin(NotificationDefault, NotificationDefault.type == kind)
        .where(User.id.in_(user_ids), User.is_active.is_(True))
    )
    enabled = {}
    for user_id, *flags in rows:
        own, admin = flags[:3], flags[3:]
        # No stored row: the outer join gives NULLs and the Admin's default, else the built-in one, applies.
        if own[0] is not None:
            chosen = dict(zip(CHANNELS, own))
        elif admin[0] is not None:
            chosen = dict(zip(CHANNELS, admin))
        else:
            chosen = DEFAULTS[kind]
        enabled[user_id] = frozenset(channel for channel in CHANNELS if chosen[channel])
    return enabled
