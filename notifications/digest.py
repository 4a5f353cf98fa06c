"""The daily email digest: one email a day instead of one per event, for users who choose it.

While a user's email mode is `daily_digest`, the outbox queues each event's email as an
EmailDigestItem instead of a message; workflow/digests.py turns each user's queued items into one
email (the payload written here) once a day, at the configured time on the user's own clock.
"""
import logging
import uuid
from datetime import datetime, time
from html import escape

from sqlalchemy import func, select

from db import session
from db.models import EmailDigestItem, EmailDigestSetting, User
from domain import times
from notifications import outbox

log = logging.getLogger(__name__)

IMMEDIATE = "immediate"
DAILY_DIGEST = outbox.DAILY_DIGEST
EMAIL_MODES = (IMMEDIATE, DAILY_DIGEST)
#: A digest lists at most this many items and counts the rest, so one busy day cannot make a huge email.
MAX_LISTED = 200


def get_email_mode(*, user: User) -> dict:
    """{"email_mode", "last_digest_at"}: immediate unless the user chose the digest."""
    setting = session.get(EmailDigestSetting, user.id)
    return {
        "email_mode": setting.mode if setting else IMMEDIATE,
        "last_digest_at": setting.last_digest_at if setting else None,
    }


def pending_items(*, user_id: uuid.UUID) -> list[EmailDigestItem]:
    """The user's items no digest has taken yet, oldest first."""
    return list(session.scalars(
        select(EmailDigestItem)
        .where(EmailDigestItem.user_id == user_id, EmailDigestItem.outbox_message_id.is_(None))
        .order_by(EmailDigestItem.created_at, EmailDigestItem.id)
    ))


def due_user_ids(*, at: time, now: datetime) -> list[uuid.UUID]:
    """Users whose clock has read `at` since their oldest waiting item arrived: their digest is due.

    An item that arrives after today's digest time waits for tomorrow's, so a second run the same day
    finds nobody; a user without a zone gets theirs at `at` UTC.
    """
    rows = session.execute(
        select(EmailDigestItem.user_id, User.time_zone, func.min(EmailDigestItem.created_at).label("oldest"))
        .join(User, User.id == EmailDigestItem.user_id)
        .where(EmailDigestItem.outbox_message_id.is_(None), EmailDigestItem.created_at <= now)
        .group_by(EmailDigestItem.user_id, User.time_zone)
    ).all()
    return sorted(row.user_id for row in rows if row.oldest <= times.latest(at, row, now))


def digest_payload(user: User, items: list[EmailDigestItem], since: datetime | None) -> dict:
    count = len(items)
    noun = "notification" if count == 1 else "notifications"
    listed, hidden = items[:MAX_LISTED], count - min(count, MAX_LISTED)
    heading = f"{count} {noun} since your last digest" if since else f"{count} {noun}"
    text_lines, html_items = [f"{heading}:", ""], []
    for item in listed:
        link = outbox.task_link(item.task_id) if item.task_id else None
        when = times.moment(item.created_at, user)
        text_lines.append(f"- {when} [{item.type.value}] {item.content}" + (f"\n  {link}" if link else ""))
        label = f"{escape(when)} <strong>{escape(item.type.value)}</strong>: {escape(item.content)}"
        if link:
            label += f' (<a href="{escape(link, quote=True)}">{escape(item.task_title)}</a>)'
        html_items.append(f"<li>{label}</li>")
    if hidden:
        text_lines.append(f"... and {hidden} more")
        html_items.append(f"<li>and {hidden} more</li>")
    zone = f"Times in {times.zone_label(user)}."
    text = "\n".join(text_lines) + f"\n\n{zone}\n"
    html = f"<p>{escape(heading)}:</p><ul>{''.join(html_items)}</ul><p>{escape(zone)}</p>"
    return {"to": user.email, "subject": f"Your daily digest: {count} {noun}", "text": text, "html": html}
