"""Notification resources: each user's own notifications and settings."""
from flask import g

from api.base import BaseResource, dump, operation, page_response, paged, parse_body, parse_id, parse_query
from api.schemas import (
    EmailModeOut,
    MarkedOut,
    NotificationOut,
    NotificationQuery,
    NotificationSettingsOut,
    PageOut,
    UnreadCountOut,
)
from db.models import NotificationType
from domain.errors import Unauthorized
from domain.schemas import EmailModeUpdate, NotificationSettingsUpdate
from notifications import digest, preferences, store
from workflow import notifications as notices


class NotificationList(BaseResource):
    @operation(summary="Your notifications", tag="notifications", query=NotificationQuery, response=PageOut[NotificationOut])
    def get(self):
        """`?unread=true` -> {"items": [NotificationOut] newest first, "next_cursor"}."""
        query = parse_query(NotificationQuery)
        page = paged(
            lambda: store.list_notifications(user=g.user, unread=query.unread, limit=query.limit, cursor=query.cursor)
        )
        return page_response(page, NotificationOut)


class NotificationUnreadCount(BaseResource):
    @operation(summary="Your unread count (cheap to poll)", tag="notifications", response=UnreadCountOut, id_only=True)
    def get(self):
        """-> {"unread": n}; one statement checks that you are active, not signed out, and counts."""
        unread = store.unread_count_if_active(credential=g.credential)
        if unread is None:
            raise Unauthorized("user is deactivated, unknown or signed out")
        return {"unread": unread}


class NotificationRead(BaseResource):
    @operation(summary="Mark a notification read", tag="notifications", response=NotificationOut, errors=(404,))
    def patch(self, notification_id):
        """-> NotificationOut; another user's notification is 404."""
        notification_uuid = parse_id(notification_id, "notification_id")
        return dump(NotificationOut, notices.mark_read(user=g.user, notification_id=notification_uuid))


class NotificationReadAll(BaseResource):
    @operation(summary="Mark all your notifications read", tag="notifications", response=MarkedOut)
    def post(self):
        """-> {"marked": n}."""
        return {"marked": notices.mark_all_read(user=g.user)}


class NotificationSettings(BaseResource):
    @operation(summary="Your notification settings", tag="notifications", response=NotificationSettingsOut)
    def get(self):
        """-> {"<type>": {"in_app", "email", "sms"}, ...} for every type."""
        return preferences.get_settings(user=g.user)

    @operation(
        summary="Update your notification settings (partial)", tag="notifications",
        body=NotificationSettingsUpdate, response=NotificationSettingsOut,
    )
    def post(self):
        """{"<type>": {"<channel>": bool}} (only what is named changes) -> the full settings."""
        return notices.update_settings(user=g.user, changes=_settings_changes())


def _settings_changes() -> dict[NotificationType, dict[str, bool]]:
    """The request's partial settings body: only the types and channels it names."""
    body = parse_body(NotificationSettingsUpdate)
    changes = {
        NotificationType(kind): channels
        for kind, channels in body.model_dump(by_alias=True, exclude_unset=True).items()
    }
    return {kind: {c: v for c, v in channels.items() if v is not None} for kind, channels in changes.items()}


class NotificationDefaults(BaseResource):
    @operation(summary="The notification defaults (for users who chose nothing)", tag="notifications",
               response=NotificationSettingsOut)
    def get(self):
        """-> {"<type>": {"in_app", "email", "sms"}, ...} for every type: what a user who chose nothing gets."""
        return preferences.get_defaults()

    @operation(
        summary="Change the notification defaults (partial; Admins only)", tag="notifications",
        body=NotificationSettingsUpdate, response=NotificationSettingsOut, errors=(403,),
    )
    def post(self):
        """{"<type>": {"<channel>": bool}} (only what is named changes) -> all the defaults.

        Users' own stored choices are kept; the defaults apply to every type a user has not set.
        """
        return notices.update_defaults(actor=g.user, changes=_settings_changes())


class NotificationEmailMode(BaseResource):
    @operation(summary="How you take email: at once or as a daily digest", tag="notifications", response=EmailModeOut)
    def get(self):
        """-> {"email_mode": "immediate" | "daily_digest", "last_digest_at"}."""
        return dump(EmailModeOut, digest.get_email_mode(user=g.user))

    @operation(
        summary="Choose email at once or as a daily digest", tag="notifications",
        body=EmailModeUpdate, response=EmailModeOut, errors=(422,),
    )
    def post(self):
        """{"email_mode": "immediate" | "daily_digest"} -> {"email_mode", "last_digest_at"}.

        With `daily_digest`, each event's email waits for the next daily digest (one email listing all
        of them since the last one); in-app and SMS notices are unaffected.
        """
        body = parse_body(EmailModeUpdate)
        return dump(EmailModeOut, notices.set_email_mode(user=g.user, mode=body.email_mode))
