"""Per user, per notification type, per channel preferences, with defaults."""
import uuid

from sqlalchemy import and_, select

from db import session
from db.models import NotificationPreference, NotificationType, User

CHANNELS = ("in_app", "email", "sms")

#: In-app for everything; email for what needs action; SMS is opt-in.
DEFAULTS: dict[NotificationType, dict[str, bool]] = {
    NotificationType.TASK_ASSIGNMENT: {"in_app": True, "email": True, "sms": False},
    NotificationType.STATUS_CHANGE: {"in_app": True, "email": False, "sms": False},
    NotificationType.DUE_DATE: {"in_app": True, "email": True, "sms": False},
    NotificationType.COMMENT: {"in_app": True, "email": False, "sms": False},
}


def get_settings(*, user: User) -> dict[str, dict[str, bool]]:
    """Every type with every channel: the user's choice, else the default."""
    stored = {
        pref.type: pref
        for pref in session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    settings = {}
    for kind in NotificationType:
        pref = stored.get(kind)
        settings[kind.value] = (
            {channel: getattr(pref, channel) for channel in CHANNELS} if pref else dict(DEFAULTS[kind])
        )
    return settings


def enabled_channels(*, user_ids: set[uuid.UUID], kind: NotificationType) -> dict[uuid.UUID, frozenset[str]]:
    """Per active user among `user_ids`, the channels they take `kind` on, in one query.

    Deactivated users are left out: they get nothing.
    """
    if not user_ids:
        return {}
    rows = session.execute(
        select(User.id, NotificationPreference.in_app, NotificationPreference.email, NotificationPreference.sms)
        .outerjoin(
            NotificationPreference,
            and_(NotificationPreference.user_id == User.id, NotificationPreference.type == kind),
        )
        .where(User.id.in_(user_ids), User.is_active.is_(True))
    )
    enabled = {}
    for user_id, *flags in rows:
        # No stored row: the outer join gives NULLs and the default applies.
        chosen = dict(zip(CHANNELS, flags)) if flags[0] is not None else DEFAULTS[kind]
        enabled[user_id] = frozenset(channel for channel in CHANNELS if chosen[channel])
    return enabled


def update_settings(
    *, user: User, changes: dict[NotificationType, dict[str, bool]]
) -> dict[str, dict[str, bool]]:
    """Apply a partial update: only the types (and channels) named change."""
    current = get_settings(user=user)
    for kind, channels in changes.items():
        merged = {**current[kind.value], **channels}
        pref = session.get(NotificationPreference, (user.id, kind))
        if pref is None:
            session.add(NotificationPreference(user_id=user.id, type=kind, **merged))
        else:
            for channel, enabled in merged.items():
                setattr(pref, channel, enabled)
    session.commit()
    return get_settings(user=user)
