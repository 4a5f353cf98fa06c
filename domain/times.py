"""Times as people read them: each user's zone, one way of writing a moment, a day and a lapse of time.

Everything is stored and sent in UTC; a user reads and types times in their own zone (User.time_zone, an
IANA name; UTC while unset). The portal and the notifications both write times with these functions, so a
due date reads the same on a page, in an email and in an SMS. assets/dashAgGridFunctions.js writes the
same format in the browser for the task grid.
"""
import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from domain.calendar import time_zones

# Fixed English names: strftime's %a and %b follow the process locale.
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: Names of UTC itself: no city to name, so they read "UTC".
UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu",
                       "GMT", "Etc/GMT", "Etc/GMT0", "Etc/GMT+0", "Etc/GMT-0", "GMT0", "GMT+0", "GMT-0", "Etc/Greenwich",
                       "Greenwich"})
#: What an input takes: a date, optionally a time (HH:MM, optionally seconds), optionally an offset or Z.
TYPED = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}:?\d{2})?)?$", re.I | re.A)
INPUT_FORMAT = "YYYY-MM-DD HH:MM"


def is_zone(name) -> bool:
    """An IANA time zone name this machine knows."""
    return isinstance(name, str) and name in time_zones()


def zone_name(user) -> str:
    """The user's IANA zone, or UTC while they have none (or one this machine no longer knows)."""
    name = getattr(user, "time_zone", None)
    return name if is_zone(name) else "UTC"


def zone_of(user) -> ZoneInfo:
    """The user's zone as a tzinfo; UTC when unset."""
    return ZoneInfo(zone_name(user))


def zone_label(user) -> str:
    """The zone as a person names it: "New York time", or "UTC"."""
    name = zone_name(user)
    if name in UTC_NAMES:
        return "UTC"
    return name.rsplit("/", 1)[-1].replace("_", " ") + " time"


def _aware(value: datetime) -> datetime:
    # Naive values are UTC, as everywhere else in the code.
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def local(value: datetime, user) -> datetime:
    """The moment on the user's clock."""
    return _aware(value).astimezone(zone_of(user))


def moment(value: datetime | None, user, now: datetime | None = None) -> str:
    """"Tue 21 Sep 07:44" in the user's zone; "Tue 21 Sep 2025 07:44" when not in this year (theirs)."""
    if value is None:
        return ""
    there = local(value, user)
    this_year = local(now or datetime.now(timezone.utc), user).year
    year = "" if there.year == this_year else f" {there.year}"
    return f"{WEEKDAYS[there.weekday()]} {there.day} {MONTHS[there.month - 1]}{year} {there:%H:%M}"


def day(value: date | datetime | None, user=None) -> str:
    """"21 Sep 2026"; a datetime is first taken to the user's zone (their day, not UTC's)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value, user).date()
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def relative(value: datetime, now: datetime) -> str:
    """"in 3 h", "2 h ago", "just now": minutes, then hours, then days (zones do not matter)."""
    seconds = (_aware(value) - _aware(now)).total_seconds()
    size = abs(seconds)
    if size < 60:
        return "just now"
    if size < 3600:
        amount = f"{int(size // 60)} min"
    elif size < 86400:
        amount = f"{int(size // 3600)} h"
    else:
        amount = f"{int(size // 86400)} d"
    return f"in {amount}" if seconds > 0 else f"{amount} ago"


def recent(value: datetime, user, now: datetime) -> str:
    """Relative within a week ("3 h ago"), else the moment: past that, a date says more than a count of days."""
    if abs((_aware(value) - _aware(now)).total_seconds()) < 7 * 86400:
        return relative(value, now)
    return moment(value, user, now)


def input_text(value: datetime | None, user) -> str:
    """The moment as an input shows it for editing: "2026-03-08 08:00" on the user's clock."""
    return "" if value is None else f"{local(value, user):%Y-%m-%d %H:%M}"


def read(text: str | None, user) -> datetime | None:
    """A typed date and time, read on the user's clock (an explicit offset or Z wins), as an aware UTC datetime.

    None for blank. ValueError with a sentence for anything else that is not a moment, including a
    local time the clocks skip (02:30 when they go from 02:00 to 03:00).
    """
    text = (text or "").strip()
    if not text:
        return None
    match = TYPED.match(text)
    if not match:
        raise ValueError(f"enter a date and time as {INPUT_FORMAT}, {zone_label(user)}")
    try:
        parsed = datetime.fromisoformat(f"{match.group(1)}T{match.group(2) or '00:00'}{_offset(match.group(3))}")
    except ValueError:
        raise ValueError(f"{text} is not a real date and time") from None
    if parsed.tzinfo is not None:
        return parsed.astimezone(timezone.utc)
    zone = zone_of(user)
    placed = parsed.replace(tzinfo=zone)
    if placed.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) != parsed:
        raise ValueError(f"{parsed:%H:%M} does not exist on {day(parsed.date())} in {zone_label(user)} (the clocks go forward)")
    return placed.astimezone(timezone.utc)


def _offset(given: str | None) -> str:
    if not given:
        return ""
    if given.upper() == "Z":
        return "+00:00"
    return given if ":" in given else f"{given[:3]}:{given[3:]}"


def latest(at, user, now: datetime) -> datetime:
    """The latest moment at or before `now` when the user's clock read `at` (a time of day), in UTC."""
    zone, now = zone_of(user), _aware(now)
    today = now.astimezone(zone).date()
    candidate = datetime.combine(today, at, tzinfo=zone).astimezone(timezone.utc)
    if candidate > now:
        candidate = datetime.combine(today - timedelta(days=1), at, tzinfo=zone).astimezone(timezone.utc)
    return candidate
