"""Business-hours calendars: the working week, time zone and holidays a business-hours SLA clock counts in.

Time is measured on a "working coordinate": the working seconds from a fixed origin
(2000-01-01T00:00Z) to a moment. It is flat outside working hours and rises one second per
second inside them, so the working time between two moments is the difference of their
coordinates, and the moment a clock reaches a target is the inverse of the coordinate.
"""
from __future__ import annotations

import re
import threading
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Any, Optional
from zoneinfo import ZoneInfo, available_timezones

from domain.errors import ValidationFailed

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: Monday to Friday, 09:00 to 17:00; closed at the weekend.
DEFAULT_HOURS: tuple[Optional[tuple[time, time]], ...] = ((time(9), time(17)),) * 5 + (None, None)
ORIGIN = datetime(2000, 1, 1, tzinfo=timezone.utc)
#: More holidays than days in a year is a pasted list gone wrong, not a calendar.
MAX_HOLIDAYS = 366
MAX_HOLIDAY_NAME = 100
#: Holidays outside these years are typos (the reports' own range).
HOLIDAY_YEARS = (1970, 2200)
HH_MM = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


@dataclass(frozen=True)
class WorkCalendar:
    """When work happens: per weekday (Monday=0) one (start, end) span of local time or None
    (closed), in an IANA time zone, minus whole-day holidays (local dates)."""

    timezone: str = "UTC"
    hours: tuple[Optional[tuple[time, time]], ...] = DEFAULT_HOURS
    holidays: frozenset[date] = frozenset()
    #: (date, name) of the holidays, for display; names do not change the arithmetic.
    holiday_names: tuple[tuple[date, str], ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self):
        hours = tuple(None if span is None else (span[0], span[1]) for span in self.hours)
        if len(hours) != 7:
            raise ValueError("hours needs one entry per weekday, Monday first")
        for span in hours:
            if span is not None and not (isinstance(span[0], time) and isinstance(span[1], time) and span[0] < span[1]):
                raise ValueError("each open day's hours are two times, the end after the start")
        ZoneInfo(self.timezone)  # an unknown zone fails here, not in the middle of a report
        object.__setattr__(self, "hours", hours)
        object.__setattr__(self, "holidays", frozenset(self.holidays))

    def holiday_list(self) -> list[tuple[date, str]]:
        """The holidays in date order with their names ("" where none was given)."""
        names = dict(self.holiday_names)
        return [(day, names.get(day, "")) for day in sorted(self.holidays)]


DEFAULT_CALENDAR = WorkCalendar()


# --- the arithmetic -------------------------------------------------------------------------


class _Year:
    """One local calendar year: each day's working span as UTC timestamps and the running total."""

    __slots__ = ("first", "starts", "ends", "cumulative", "total")

    def __init__(self, calendar: WorkCalendar, zone: ZoneInfo, year: int):
        first = date(year, 1, 1)
        self.first = first.toordinal()
        days = (date(year + 1, 1, 1) - first).days if year < 9999 else 365
        self.starts, self.ends, self.cumulative = [], [], [0.0]
        running = 0.0
        for offset in range(days):
            day = first + timedelta(days=offset)
            span = calendar.hours[day.weekday()]
            if span is None or day in calendar.holidays:
                start = end = 0.0
            else:
                # Real seconds between the local opening and closing times: a 09:00-17:00 day is
                # 8 h on a DST change too, and a span crossing the change is as long as it really is.
                start = datetime.combine(day, span[0], tzinfo=zone).timestamp()
                end = max(start, datetime.combine(day, span[1], tzinfo=zone).timestamp())
            self.starts.append(start)
            self.ends.append(end)
            running += end - start
            self.cumulative.append(running)
        self.total = running


#: Weekdays, leap years and the zones' future DST rules repeat every 400 years (146,097 days,
#: exactly 20,871 weeks), so past the last holiday and the zones' explicit transitions (tzdata
#: lists them to 2037) a year's working total is that of the year 400 before it.
CYCLE_YEARS = 400
RULES_FROM_YEAR = 2040


class _Table:
    """A calendar's year tables and year-start coordinates, filled in as they are asked for."""

    def __init__(self, calendar: WorkCalendar):
        if all(span is None for span in calendar.hours):
            raise ValueError("a calendar with no open day has no working time")
        self.calendar = calendar
        self.zone = ZoneInfo(calendar.timezone)
        self.years: dict[int, _Year] = {}
        self.totals: dict[int, float] = {}
        #: Working seconds from the local start of 2000 to the local start of each year.
        self.starts: dict[int, float] = {2000: 0.0}
        last_holiday = max((day.year for day in calendar.holidays), default=0)
        self.periodic_from = max(RULES_FROM_YEAR, last_holiday + 1)
        self.cycle: float | None = None
        # Readers take filled entries without it; filling in year starts (a walk over the known
        # ones) is done by one thread at a time.
        self.lock = threading.RLock()
        self.origin = 0.0
        self.origin = self.raw(ORIGIN)

    def year(self, year: int) -> _Year:
        table = self.years.get(year)
        if table is None:
            table = self.years[year] = _Year(self.calendar, self.zone, year)
            self.totals[year] = table.total
        return table

    def total(self, year: int) -> float:
        total = self.totals.get(year)
        if total is None:
            if year >= self.periodic_from + CYCLE_YEARS:
                total = self.total(self.periodic_from + (year - self.periodic_from) % CYCLE_YEARS)
            else:
                total = _Year(self.calendar, self.zone, year).total
            self.totals[year] = total
        return total

    def year_start(self, year: int) -> float:
        start = self.starts.get(year)
        if start is not None:
            return start
        with self.lock:
            return self._fill_year_start(year)

    def _fill_year_start(self, year: int) -> float:
        base = self.periodic_from
        if year >= base + CYCLE_YEARS:
            if self.cycle is None:
                self.cycle = sum(self.total(base + k) for k in range(CYCLE_YEARS))
            cycles, remainder = divmod(year - base, CYCLE_YEARS)
            start = self.year_start(base + remainder) + cycles * self.cycle
        elif year > 2000:
            known = max(y for y in self.starts if y < year)
            start = self.starts[known]
            for y in range(known, year):
                start += self.total(y)
                self.starts[y + 1] = start
        else:
            known = min(y for y in self.starts if y > year)
            start = self.starts[known]
            for y in range(known - 1, year - 1, -1):
                start -= self.total(y)
                self.starts[y] = start
        self.starts[year] = start
        return start

    def raw(self, moment: datetime) -> float:
        """Working seconds from the local start of 2000 to `moment`."""
        moment = _aware(moment)
        stamp = moment.timestamp()
        day = moment.astimezone(self.zone).date()
        year = self.year(day.year)
        index = day.toordinal() - year.first
        start, end = year.starts[index], year.ends[index]
        within = min(max(stamp - start, 0.0), end - start)
        return self.year_start(day.year) + year.cumulative[index] + within

    def moment(self, coordinate: float) -> datetime:
        """The earliest moment whose coordinate is `coordinate`."""
        target = coordinate + self.origin
        guess = 2000
        first_total = self.total(2000)
        if first_total > 0:
            guess = min(max(2000 + int(target // first_total), 1), 9998)
        year = guess
        # The year whose working time holds the target: start < target <= next start.
        while self.year_start(year) >= target:
            year -= 1
            if year < 1:
                raise OverflowError("the coordinate is before the year 1")
        while self.year_start(year + 1) < target:
            year += 1
            if year > 9998:
                raise OverflowError("the coordinate is after the year 9998")
        table = self.year(year)
        within = target - self.year_start(year)
        day = bisect_left(table.cumulative, within) - 1
        return datetime.fromtimestamp(table.starts[day] + (within - table.cumulative[day]), timezone.utc)


@lru_cache(maxsize=16)
def _shared_table(calendar: WorkCalendar) -> _Table:
    return _Table(calendar)


def _table(calendar: WorkCalendar) -> _Table:
    # Kept on the instance too, so repeated calls skip hashing the calendar.
    table = calendar.__dict__.get("_table")
    if table is None:
        table = _shared_table(calendar)
        object.__setattr__(calendar, "_table", table)
    return table


def working_coordinate(calendar: WorkCalendar, moment: datetime) -> float:
    """Working seconds from 2000-01-01T00:00Z to `moment` (negative before it); never decreases."""
    table = _table(calendar)
    return table.raw(moment) - table.origin


def working_seconds(calendar: WorkCalendar, start: datetime, end: datetime) -> float:
    """Working seconds between two moments (aware; naive ones are taken as UTC); 0 if end <= start."""
    if _aware(end) <= _aware(start):
        return 0.0
    return working_coordinate(calendar, end) - working_coordinate(calendar, start)


def moment_at(calendar: WorkCalendar, coordinate: float) -> datetime:
    """The earliest UTC moment whose working coordinate is `coordinate` (e.g. when a clock reached its target)."""
    return _table(calendar).moment(coordinate)


#: The years the database's copy of the calendar covers (db/status_intervals.py reads it in SQL).
SPAN_YEARS = (2000, 2100)


def working_spans(calendar: WorkCalendar) -> list[tuple[float, float, float]]:
    """Every working span of SPAN_YEARS as (start, end) in epoch seconds and the working coordinate at its start."""
    table = _table(calendar)
    spans = []
    for year in range(*SPAN_YEARS):
        days = table.year(year)
        before = table.year_start(year) - table.origin
        for start, end, used in zip(days.starts, days.ends, days.cumulative):
            if end > start:
                spans.append((start, end, before + used))
    return spans


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


# --- as stored and sent -------------------------------------------------------------------------


@lru_cache(maxsize=1)
def time_zones() -> tuple[str, ...]:
    """Every IANA time zone name this machine knows, sorted."""
    return tuple(sorted(available_timezones()))


def _hh_mm(value: time) -> str:
    return value.strftime("%H:%M")


def week_to_json(hours) -> list:
    """Hours per weekday as stored and sent: ["09:00", "17:00"] or None."""
    return [None if span is None else [_hh_mm(span[0]), _hh_mm(span[1])] for span in hours]


def week_from_json(week) -> tuple:
    return tuple(None if span is None else (time.fromisoformat(span[0]), time.fromisoformat(span[1])) for span in week)


def calendar_payload(work: WorkCalendar) -> dict:
    """A calendar as JSON, in the shape set_calendar takes and the API sends."""
    return {
        "timezone": work.timezone,
        "hours": {
            day: None if span is None else {"start": span[0], "end": span[1]}
            for day, span in zip(WEEKDAYS, week_to_json(work.hours))
        },
        "holidays": [{"date": day.isoformat(), "name": name} for day, name in work.holiday_list()],
    }


def _time(value) -> time | None:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    if isinstance(value, str):
        match = HH_MM.match(value.strip())
        if match:
            return time(int(match.group(1)), int(match.group(2)))
    return None


def _span(value, where: str, problems: list):
    """One weekday's hours: None (closed), {"start", "end"} or a (start, end) pair of "HH:MM"."""
    if value is None:
        return None
    if isinstance(value, dict):
        unknown = set(value) - {"start", "end"}
        if unknown or not {"start", "end"} <= set(value):
            problems.append({"field": where, "message": "null (closed) or {\"start\": \"HH:MM\", \"end\": \"HH:MM\"}"})
            return None
        start, end = value["start"], value["end"]
    elif isinstance(value, (list, tuple)) and len(value) == 2:
        start, end = value
    else:
        problems.append({"field": where, "message": "null (closed) or {\"start\": \"HH:MM\", \"end\": \"HH:MM\"}"})
        return None
    opens, closes = _time(start), _time(end)
    if opens is None or closes is None:
        problems.append({"field": where, "message": "opening and closing times as HH:MM (00:00 to 23:59)"})
        return None
    if closes <= opens:
        problems.append({"field": where, "message": "the closing time must be after the opening time"})
        return None
    return opens, closes


def _holiday(value, where: str, problems: list) -> tuple[date, str] | None:
    """{"date": "YYYY-MM-DD", "name": "..."} (name optional)."""
    if not isinstance(value, dict) or "date" not in value or set(value) - {"date", "name"}:
        problems.append({"field": where, "message": "{\"date\": \"YYYY-MM-DD\", \"name\": \"...\"}"})
        return None
    day = value["date"]
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day.strip()) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", day.strip()) else None
        except ValueError:
            day = None
    if not isinstance(day, date) or isinstance(day, datetime):
        problems.append({"field": f"{where}.date", "message": "a real date as YYYY-MM-DD"})
        return None
    if not HOLIDAY_YEARS[0] <= day.year <= HOLIDAY_YEARS[1]:
        problems.append({"field": f"{where}.date", "message": f"a date from {HOLIDAY_YEARS[0]} to {HOLIDAY_YEARS[1]}"})
        return None
    name = value.get("name") or ""
    if not isinstance(name, str) or "\x00" in name or len(name.strip()) > MAX_HOLIDAY_NAME:
        problems.append({"field": f"{where}.name", "message": f"text of at most {MAX_HOLIDAY_NAME} characters"})
        return None
    return day, name.strip()


def validate_calendar(payload: Any, current: WorkCalendar = DEFAULT_CALENDAR) -> WorkCalendar:
    """`current` changed by `payload` ({"timezone", "hours": {"Monday": {"start", "end"} | None, ...},
    "holidays": [{"date", "name"}, ...]}, each part optional); ValidationFailed names every problem."""
    if not isinstance(payload, dict):
        raise ValidationFailed("invalid SLA calendar", [{"field": "body", "message": "must be an object"}])
    problems: list[dict] = []
    for key in sorted(set(payload) - {"timezone", "hours", "holidays"}):
        problems.append({"field": str(key), "message": "unknown field: timezone, hours or holidays"})

    zone = current.timezone
    if "timezone" in payload:
        zone = payload["timezone"]
        if not isinstance(zone, str) or zone not in time_zones():
            problems.append({"field": "timezone", "message": "an IANA time zone such as Europe/London"})

    hours = list(current.hours)
    if "hours" in payload:
        given = payload["hours"]
        if not isinstance(given, dict):
            problems.append({"field": "hours", "message": "an object keyed by weekday (Monday ... Sunday)"})
            given = {}
        for key, value in given.items():
            if key not in WEEKDAYS:
                problems.append({"field": f"hours.{key}", "message": "a weekday: Monday ... Sunday"})
                continue
            hours[WEEKDAYS.index(key)] = _span(value, f"hours.{key}", problems)
        if all(span is None for span in hours) and not problems:
            problems.append({"field": "hours", "message": "at least one day must be open"})

    holidays = current.holiday_list()
    if "holidays" in payload:
        given = payload["holidays"]
        if not isinstance(given, list):
            problems.append({"field": "holidays", "message": "a list of {\"date\", \"name\"}"})
            given = []
        elif len(given) > MAX_HOLIDAYS:
            problems.append({"field": "holidays", "message": f"at most {MAX_HOLIDAYS} holidays"})
            given = []
        holidays, seen = [], set()
        for index, value in enumerate(given):
            holiday = _holiday(value, f"holidays[{index}]", problems)
            if holiday is None:
                continue
            if holiday[0] in seen:
                problems.append({"field": f"holidays[{index}].date", "message": f"{holiday[0]} is listed twice"})
                continue
            seen.add(holiday[0])
            holidays.append(holiday)

    if problems:
        raise ValidationFailed("invalid SLA calendar", problems)
    holidays.sort()
    return WorkCalendar(
        timezone=zone, hours=tuple(hours), holidays=frozenset(day for day, _ in holidays), holiday_names=tuple(holidays)
    )
