"""Business-hours calendars: working seconds, the working coordinate and its inverse, the stored calendar."""
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from db import session
from db.models import Role, SlaHoliday
from domain import calendar
from domain.calendar import WorkCalendar, moment_at, working_coordinate, working_seconds
from domain.errors import Forbidden, ValidationFailed
from reports import policy
from workflow import sla as sla_policy

UTC = timezone.utc
HOUR = 3600.0
NINE_TO_FIVE = WorkCalendar()
LONDON = WorkCalendar(timezone="Europe/London")


def at(*args, zone=UTC) -> datetime:
    """An aware moment; in another zone, converted to UTC as callers pass them."""
    return datetime(*args, tzinfo=zone if isinstance(zone, timezone) else ZoneInfo(zone)).astimezone(UTC)


def reference_seconds(work: WorkCalendar, start: datetime, end: datetime) -> float:
    """Working seconds by brute force: every local day's opening hours intersected with [start, end)."""
    zone = ZoneInfo(work.timezone)
    total = 0.0
    day = start.astimezone(zone).date() - timedelta(days=1)
    while day <= end.astimezone(zone).date() + timedelta(days=1):
        span = work.hours[day.weekday()]
        if span is not None and day not in work.holidays:
            opens = datetime.combine(day, span[0], tzinfo=zone).astimezone(UTC)
            closes = datetime.combine(day, span[1], tzinfo=zone).astimezone(UTC)
            total += max(0.0, (min(end, closes) - max(start, opens)).total_seconds())
        day += timedelta(days=1)
    return total


# --- working_seconds: known answers ---------------------------------------------------------


def test_friday_afternoon_to_monday_morning_is_two_working_hours():
    # 2026-01-09 is a Friday: 16:00-17:00 Friday and 09:00-10:00 Monday.
    assert working_seconds(NINE_TO_FIVE, at(2026, 1, 9, 16), at(2026, 1, 12, 10)) == 2 * HOUR


def test_nothing_counts_outside_hours_or_backwards():
    assert working_seconds(NINE_TO_FIVE, at(2026, 1, 9, 17), at(2026, 1, 12, 9)) == 0  # the whole weekend
    assert working_seconds(NINE_TO_FIVE, at(2026, 1, 12, 7), at(2026, 1, 12, 8, 59)) == 0  # before opening
    assert working_seconds(NINE_TO_FIVE, at(2026, 1, 12, 10), at(2026, 1, 12, 10)) == 0
    assert working_seconds(NINE_TO_FIVE, at(2026, 1, 12, 12), at(2026, 1, 12, 10)) == 0
    assert working_seconds(NINE_TO_FIVE, at(2026, 1, 12, 10), at(2026, 1, 12, 10, 0, 30)) == 30


def test_a_whole_week_is_forty_hours():
    assert working_seconds(NINE_TO_FIVE, at(2026, 1, 12), at(2026, 1, 19)) == 40 * HOUR


def test_a_holiday_is_closed_all_day():
    easter_monday = WorkCalendar(holidays=frozenset({date(2026, 4, 6)}))
    # Friday 16:00 to Tuesday 10:00 over a Monday holiday: still two hours.
    assert working_seconds(easter_monday, at(2026, 4, 3, 16), at(2026, 4, 7, 10)) == 2 * HOUR
    assert working_seconds(NINE_TO_FIVE, at(2026, 4, 3, 16), at(2026, 4, 7, 10)) == 10 * HOUR
    assert working_seconds(easter_monday, at(2026, 4, 6, 9), at(2026, 4, 6, 17)) == 0


def test_the_holiday_is_a_local_date():
    # Tokyo's 2026-01-02 (a Friday) runs 2026-01-01T15:00Z to 2026-01-02T15:00Z.
    tokyo = WorkCalendar(timezone="Asia/Tokyo", holidays=frozenset({date(2026, 1, 2)}))
    assert working_seconds(tokyo, at(2026, 1, 1, 15), at(2026, 1, 2, 15)) == 0
    # Thursday 09:00-17:00 Tokyo is 00:00-08:00 UTC.
    assert working_seconds(tokyo, at(2026, 1, 1, 0), at(2026, 1, 1, 8)) == 8 * HOUR


@pytest.mark.parametrize("monday", [date(2026, 3, 30), date(2026, 10, 26)], ids=["spring forward", "fall back"])
def test_a_nine_to_five_day_stays_eight_hours_across_a_dst_change(monday):
    # The clocks change early on the Sunday before: the Monday opens an hour earlier (BST) or later (GMT) in UTC.
    assert working_seconds(LONDON, at(monday.year, monday.month, monday.day - 3), at(monday.year, monday.month, monday.day + 1)) == 16 * HOUR
    opens = at(monday.year, monday.month, monday.day, 9, zone="Europe/London")
    assert opens.hour == (8 if monday.month == 3 else 9)
    assert working_seconds(LONDON, opens, opens + timedelta(hours=8)) == 8 * HOUR
    assert working_seconds(LONDON, opens - timedelta(hours=1), opens) == 0


def test_a_span_across_the_change_itself_counts_real_seconds():
    # Open on Sundays 00:30-03:00 local: 2.5 h on the clock face, 1.5 h when 01:00 becomes 02:00, 3.5 h when 02:00 is repeated.
    night = WorkCalendar(timezone="Europe/London", hours=(None,) * 6 + ((time(0, 30), time(3)),))
    assert working_seconds(night, at(2026, 3, 28), at(2026, 3, 30)) == 1.5 * HOUR
    assert working_seconds(night, at(2026, 10, 24), at(2026, 10, 26)) == 3.5 * HOUR
    assert working_seconds(night, at(2026, 3, 21), at(2026, 3, 23)) == 2.5 * HOUR


def test_across_new_year_and_its_holiday():
    new_year = WorkCalendar(holidays=frozenset({date(2026, 1, 1)}))
    # Wednesday 31 Dec 12:00-17:00, Thursday closed, Friday 09:00-12:00.
    assert working_seconds(new_year, at(2025, 12, 31, 12), at(2026, 1, 2, 12)) == 8 * HOUR


def test_thirty_years_are_eight_hours_a_weekday():
    weekdays = sum(1 for n in range((date(2030, 1, 1) - date(2000, 1, 1)).days) if (date(2000, 1, 1) + timedelta(days=n)).weekday() < 5)
    assert working_seconds(NINE_TO_FIVE, at(2000, 1, 1), at(2030, 1, 1)) == weekdays * 8 * HOUR
    # In London the same week days are 8 hours each whatever the clocks did.
    assert working_seconds(LONDON, at(2000, 1, 1), at(2030, 1, 1)) == weekdays * 8 * HOUR


ZONES = ["Europe/London", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Chatham", "UTC"]


@pytest.mark.parametrize("zone", ZONES)
def test_agrees_with_day_by_day_counting_at_random(zone):
    rng = random.Random(zone)
    work = WorkCalendar(
        timezone=zone,
        hours=((time(8, 30), time(18)), (time(0, 15), time(23, 45)), None, (time(1, 30), time(2, 45)),
               (time(9), time(17)), (time(10), time(14)), None),
        holidays=frozenset(date(2026, 1, 1) + timedelta(days=rng.randrange(730)) for _ in range(40)),
    )
    for _ in range(150):
        start = at(2025, 6, 1) + timedelta(seconds=rng.randrange(3 * 365 * 86400))
        end = start + timedelta(seconds=rng.randrange(60 * 86400))
        assert working_seconds(work, start, end) == pytest.approx(reference_seconds(work, start, end), abs=1e-6)


@pytest.mark.parametrize("year", [2439, 2440, 2839, 2840, 4321])
def test_far_future_years_by_the_400_year_cycle_agree_with_counting(year):
    # From 2440 on, a year's total comes from the year 400 before it: check the joins.
    start, end = at(year - 1, 12, 20, 11), at(year, 1, 12, 15)
    assert working_seconds(LONDON, start, end) == pytest.approx(reference_seconds(LONDON, start, end), abs=1e-3)
    assert working_seconds(LONDON, at(year, 6, 1), at(year, 7, 1)) == pytest.approx(
        reference_seconds(LONDON, at(year, 6, 1), at(year, 7, 1)), abs=1e-3)


# --- the coordinate and its inverse ----------------------------------------------------------


def test_the_coordinate_starts_at_the_origin_and_differences_are_working_seconds():
    assert working_coordinate(NINE_TO_FIVE, at(2000, 1, 1)) == 0  # a Saturday
    assert working_coordinate(NINE_TO_FIVE, at(2000, 1, 3, 10)) == HOUR  # Monday 10:00
    assert working_coordinate(NINE_TO_FIVE, at(1999, 12, 31, 16)) == -HOUR  # the Friday before
    rng = random.Random(7)
    moments = sorted(at(1998, 1, 1) + timedelta(seconds=rng.randrange(40 * 365 * 86400)) for _ in range(300))
    coordinates = [working_coordinate(LONDON, moment) for moment in moments]
    assert coordinates == sorted(coordinates)
    for a, b in zip(moments, moments[1:]):
        assert working_seconds(LONDON, a, b) == coordinates[moments.index(b)] - coordinates[moments.index(a)]


def test_threads_sharing_a_fresh_calendar_get_the_same_answers():
    rng = random.Random(11)
    moments = [at(1950, 1, 1) + timedelta(seconds=rng.randrange(300 * 365 * 86400)) for _ in range(400)]
    # A calendar no other test uses, so its year tables are filled in by the threads themselves.
    shared = WorkCalendar(timezone="America/Chicago", holidays=frozenset({date(2031, 7, 4)}))
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda moment: working_coordinate(shared, moment), moments))
    alone = calendar._Table(WorkCalendar(timezone="America/Chicago", holidays=frozenset({date(2031, 7, 4)})))
    assert got == [alone.raw(moment) - alone.origin for moment in moments]


def test_naive_moments_are_utc():
    assert working_coordinate(NINE_TO_FIVE, datetime(2026, 1, 12, 10)) == working_coordinate(NINE_TO_FIVE, at(2026, 1, 12, 10))


@pytest.mark.parametrize("zone", ["UTC", "Europe/London", "America/New_York", "Australia/Lord_Howe"])
def test_moment_at_inverts_the_coordinate_in_working_hours(zone):
    work = WorkCalendar(timezone=zone, holidays=frozenset({date(2026, 12, 25), date(2027, 1, 1)}))
    rng = random.Random(zone)
    checked = 0
    while checked < 200:
        moment = at(1990, 1, 1) + timedelta(seconds=rng.randrange(50 * 365 * 86400))
        coordinate = working_coordinate(work, moment)
        back = moment_at(work, coordinate)
        # Outside working hours the clock stands still: the inverse is when it stopped.
        assert working_coordinate(work, back) == pytest.approx(coordinate, abs=1e-6)
        assert back <= moment
        if working_seconds(work, moment - timedelta(seconds=1), moment + timedelta(seconds=1)) == 2:
            assert abs((back - moment).total_seconds()) < 1e-3
            checked += 1


def test_moment_at_is_the_earliest_moment_so_a_target_is_reached_at_closing_time():
    friday_close = at(2026, 1, 9, 17)
    saturday = working_coordinate(NINE_TO_FIVE, at(2026, 1, 10, 12))
    assert moment_at(NINE_TO_FIVE, saturday) == friday_close
    # A 4-business-hour target started Friday 15:00 is reached Monday 11:00.
    started = working_coordinate(NINE_TO_FIVE, at(2026, 1, 9, 15))
    assert moment_at(NINE_TO_FIVE, started + 4 * HOUR) == at(2026, 1, 12, 11)
    assert moment_at(NINE_TO_FIVE, 0) == at(1999, 12, 31, 17)  # origin: the Saturday; work stopped Friday 17:00
    assert moment_at(LONDON, working_coordinate(LONDON, at(2026, 3, 30, 9, zone="Europe/London")) + 1) == at(2026, 3, 30, 8, 0, 1)


def test_moment_at_far_from_the_origin():
    for moment in (at(1975, 6, 2, 10), at(2150, 2, 3, 13, 30), at(3000, 5, 5, 12)):
        assert moment_at(NINE_TO_FIVE, working_coordinate(NINE_TO_FIVE, moment)) == moment


def test_a_calendar_needs_sane_hours():
    with pytest.raises(ValueError):
        WorkCalendar(hours=((time(17), time(9)),) + (None,) * 6)
    with pytest.raises(ValueError):
        WorkCalendar(hours=((time(9), time(17)),) * 6)
    with pytest.raises(Exception):
        WorkCalendar(timezone="Mars/Olympus_Mons")
    with pytest.raises(ValueError):
        working_coordinate(WorkCalendar(hours=(None,) * 7), at(2026, 1, 1))


def test_calendars_that_differ_only_in_holiday_names_are_equal():
    one = WorkCalendar(holidays=frozenset({date(2026, 5, 1)}), holiday_names=((date(2026, 5, 1), "May Day"),))
    two = WorkCalendar(holidays={date(2026, 5, 1)})
    assert one == two and hash(one) == hash(two)
    assert one.holiday_list() == [(date(2026, 5, 1), "May Day")] and two.holiday_list() == [(date(2026, 5, 1), "")]


# --- the stored calendar ---------------------------------------------------------------------

LONDON_PAYLOAD = {
    "timezone": "Europe/London",
    "hours": {"Monday": {"start": "08:00", "end": "16:30"}, "Saturday": {"start": "10:00", "end": "13:00"}},
    "holidays": [{"date": "2026-12-25", "name": "Christmas Day"}, {"date": "2026-12-28", "name": "Boxing Day (substitute)"}],
}


def test_the_default_calendar_is_nine_to_five_utc(ctx):
    assert policy.get_calendar() == WorkCalendar()
    assert policy.get_calendar().hours[0] == (time(9), time(17)) and policy.get_calendar().hours[5] is None


def test_an_admin_sets_the_calendar(ctx, make_user):
    admin = make_user(Role.ADMIN)
    saved = sla_policy.set_calendar(actor=admin, calendar_payload=LONDON_PAYLOAD)
    session.expire_all()
    assert policy.get_calendar() == saved
    assert saved.timezone == "Europe/London"
    assert saved.hours[0] == (time(8), time(16, 30)) and saved.hours[1] == (time(9), time(17))
    assert saved.hours[5] == (time(10), time(13)) and saved.hours[6] is None
    assert saved.holiday_list() == [(date(2026, 12, 25), "Christmas Day"), (date(2026, 12, 28), "Boxing Day (substitute)")]
    # The stored calendar computes: Christmas Friday closed, Saturday 3 h, Monday the 28th closed.
    assert working_seconds(saved, at(2026, 12, 24, 17), at(2026, 12, 29, 10)) == 3 * HOUR + 1 * HOUR


def test_parts_left_out_keep_theirs_and_holidays_are_replaced(ctx, make_user):
    admin = make_user(Role.ADMIN)
    sla_policy.set_calendar(actor=admin, calendar_payload=LONDON_PAYLOAD)
    changed = sla_policy.set_calendar(actor=admin, calendar_payload={"hours": {"Saturday": None}})
    assert changed.timezone == "Europe/London" and changed.hours[5] is None and changed.hours[0] == (time(8), time(16, 30))
    assert len(changed.holidays) == 2
    replaced = sla_policy.set_calendar(actor=admin, calendar_payload={"holidays": [{"date": "2027-01-01"}]})
    assert replaced.holiday_list() == [(date(2027, 1, 1), "")]
    assert session.query(SlaHoliday).count() == 1
    assert sla_policy.set_calendar(actor=admin, calendar_payload={"holidays": []}).holidays == frozenset()


@pytest.mark.parametrize("role", [Role.MANAGER, Role.AGENT, Role.VIEWER])
def test_only_admins_set_the_calendar(ctx, make_user, role):
    with pytest.raises(Forbidden):
        sla_policy.set_calendar(actor=make_user(role), calendar_payload=LONDON_PAYLOAD)
    assert policy.get_calendar() == WorkCalendar()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"timezone": "Europe/Londres"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"timezone": 0}, "timezone"),
        ({"hours": {"Monday": {"start": "17:00", "end": "09:00"}}}, "hours.Monday"),
        ({"hours": {"Monday": {"start": "09:00", "end": "09:00"}}}, "hours.Monday"),
        ({"hours": {"Monday": {"start": "9am", "end": "17:00"}}}, "hours.Monday"),
        ({"hours": {"Monday": {"start": "24:00", "end": "24:30"}}}, "hours.Monday"),
        ({"hours": {"Funday": None}}, "hours.Funday"),
        ({"hours": dict.fromkeys(calendar.WEEKDAYS)}, "hours"),
        ({"hours": ["09:00", "17:00"]}, "hours"),
        ({"holidays": [{"date": "2026-02-30", "name": "No such day"}]}, "holidays[0].date"),
        ({"holidays": [{"date": "25/12/2026"}]}, "holidays[0].date"),
        ({"holidays": [{"date": "1066-10-14"}]}, "holidays[0].date"),
        ({"holidays": [{"date": "2026-12-25"}, {"date": "2026-12-25", "name": "again"}]}, "holidays[1].date"),
        ({"holidays": [{"date": "2026-12-25", "name": "x" * 101}]}, "holidays[0].name"),
        ({"holidays": [{"day": "2026-12-25"}]}, "holidays[0]"),
        ({"holidays": [{"date": str(date(2026, 1, 1) + timedelta(days=n))} for n in range(367)]}, "holidays"),
        ({"holidays": "2026-12-25"}, "holidays"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_invalid_calendars_are_refused_and_nothing_changes(ctx, make_user, payload, field):
    with pytest.raises(ValidationFailed) as refused:
        sla_policy.set_calendar(actor=make_user(Role.ADMIN), calendar_payload={**payload, "timezone": payload.get("timezone", "Europe/London")})
    assert field in [problem["field"] for problem in refused.value.details]
    session.rollback()
    assert policy.get_calendar() == WorkCalendar()


def test_every_problem_is_named_at_once(ctx, make_user):
    payload = {"timezone": "Nowhere/Else", "hours": {"Friday": {"start": "18:00", "end": "08:00"}},
               "holidays": [{"date": "2026-13-01"}]}
    with pytest.raises(ValidationFailed) as refused:
        sla_policy.set_calendar(actor=make_user(Role.ADMIN), calendar_payload=payload)
    assert [problem["field"] for problem in refused.value.details] == ["timezone", "hours.Friday", "holidays[0].date"]


def test_366_holidays_are_accepted(ctx, make_user):
    days = [{"date": str(date(2028, 1, 1) + timedelta(days=n))} for n in range(366)]
    saved = sla_policy.set_calendar(actor=make_user(Role.ADMIN), calendar_payload={"holidays": days})
    assert len(saved.holidays) == 366
    # A whole leap year of holidays: no working time in 2028, and the clock still works around it.
    assert working_seconds(saved, at(2027, 12, 31, 16), at(2029, 1, 1, 10)) == 2 * HOUR
    assert moment_at(saved, working_coordinate(saved, at(2027, 12, 31, 17)) + 1) == at(2029, 1, 1, 9, 0, 1)
