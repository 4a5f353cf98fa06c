"""The daily email digest: one email a day instead of one per event, for users who choose it.

While a user's email mode is `daily_digest`, the outbox queues each event's email as an
EmailDigestItem instead of a message; workflow/digests.py turns each user's queued items into one
email (the payload written here) once a day.
"""
import logging
import uuid
from datetime import datetime
from html import escape

from sqlalchemy import select

from db import session
from db.models import EmailDigestItem, EmailDigestSetting, User
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


def digest_payload(user: User, items: list[EmailDigestItem], since: datetime | None) -> dict:
    count = len(items)
    noun = "notification" if count == 1 else "notifications"
    listed, hidden = items[:MAX_LISTED], count - min(count, MAX_LISTED)
    heading = f"{count} {noun} since your last digest" if since else f"{count} {noun}"
    text_lines, html_items = [f"{heading}:", ""], []
    for item in listed:
        link = outbox.task_link(item.task_id) if item.task_id else None
        text_lines.append(f"- [{item.type.value}] {item.content}" + (f"\n  {link}" if link else ""))
        label = f"<strong>{escape(item.type.value)}</strong>: {escape(item.content)}"
        if link:
            label += f' (<a href="{escape(link, quote=True)}">{escape(item.task_title)}</a>)'
        html_items.append(f"<li>{label}</li>")
    if hidden:
        text_lines.append(f"... and {hidden} more")
        html_items.append(f"<li>and {hidden} more</li>")
    text = "\n".join(text_lines) + "\n"
    html = f"<p>{escape(heading)}:</p><ul>{''.join(html_items)}</ul>"
    return {"to": user.email, "subject": f"Your daily digest: {count} {noun}", "text": text, "html": html}
