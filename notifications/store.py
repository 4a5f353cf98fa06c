"""In-app notifications as each user reads their own (workflow/notifications.py marks them read)."""
import uuid

from sqlalchemy import bindparam, false, func, select

from auth import holds
from auth.tokens import Credential
from db import session
from db.models import Notification, User
from db.pagination import Page, datetime_key, paginate


def list_notifications(*, user: User, unread: bool | None, limit: int, cursor: str | None) -> Page:
    """The user's notifications, newest first."""
    statement = select(Notification).where(Notification.user_id == user.id)
    if unread is not None:
        statement = statement.where(Notification.read == (not unread))
    return paginate(
        session(),
        statement,
        id_column=Notification.id,
        key=datetime_key(Notification.created_at),
        sort="-created_at",
        descending=True,
        limit=limit,
        cursor=cursor,
    )


# `read = false`, not `read IS false`: only the former matches the partial index's predicate.
_UNREAD_COUNT = select(func.count()).where(
    Notification.user_id == bindparam("user_id"), Notification.read == false()
)


def unread_count(*, user_id: uuid.UUID) -> int:
    """One indexed count, cheap enough to poll."""
    # Core, not ORM, execution: the poll is the hottest read there is, and the ORM adds nothing to a count.
    return session.connection().scalar(_UNREAD_COUNT, {"user_id": user_id})


# The count, from the caller's row only while they are active and their credential is current:
# the poll's one round trip does both.
_ACTIVE_UNREAD_COUNT = select(_UNREAD_COUNT.scalar_subquery()).where(*holds(bindparam("user_id"), bindparam("version")))


def unread_count_if_active(*, credential: Credential) -> int | None:
    """The unread count of an active user at this credential version, None for a deactivated, unknown or
    signed-out one, in one statement."""
    parameters = {"user_id": credential.user_id, "version": credential.version}
    return session.connection().execute(_ACTIVE_UNREAD_COUNT, parameters).scalar_one_or_none()
