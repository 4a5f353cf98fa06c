"""The portal's one way of showing and reading times: in the signed-in user's zone, in one format.

The text functions live in domain/times.py, so that notifications (emails, SMS) write times the same
way; the task grid writes them in the browser with assets/dashAgGridFunctions.js, in the same format.
Every page shows a time with `moment` / `day` / `recent` (or the `when` element), and reads a typed one
with `read`: never strftime, never UTC.
"""
from datetime import datetime, timezone

from dash import html

from domain.times import (
    INPUT_FORMAT,
    day,
    input_text,
    moment,
    read,
    recent,
    relative,
    zone_label,
    zone_name,
    zone_of,
)

__all__ = ["INPUT_FORMAT", "day", "input_text", "moment", "read", "recent", "relative", "when", "zone_label", "zone_name",
           "zone_note", "zone_of"]


def when(value: datetime | None, user, now: datetime | None = None, lapse: bool = False, **props):
    """A moment as an html <time>: "Tue 21 Sep 07:44" (or "3 h ago" with `lapse`), its zone named on hover."""
    if value is None:
        return html.Span("—", className="text-body-secondary")
    now = now or datetime.now(timezone.utc)
    exact = moment(value, user, now)
    return html.Time(
        recent(value, user, now) if lapse else exact,
        dateTime=value.astimezone(timezone.utc).isoformat(),
        title=f"{exact} {zone_label(user)}",
        **props,
    )


def zone_note(user, className: str = "", **props) -> html.Small:
    """A small "New York time" beside a column or field of times: where a reader might assume another zone."""
    return html.Small(zone_label(user), className=f"text-body-secondary fw-normal {className}".strip(), **props)
