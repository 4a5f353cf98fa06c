"""The portal's one time formatter: each user's zone (UTC while unset), one format, daylight saving included."""
from datetime import date, datetime, time, timezone
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from domain import times as domain_times
from domain.schemas import UserUpdate
from portal.components import times

NEW_YORK = SimpleNamespace(time_zone="America/New_York")
TOKYO = SimpleNamespace(time_zone="Asia/Tokyo")
NOBODY = SimpleNamespace(time_zone=None)
IN_2026 = datetime(2026, 6, 1, tzinfo=timezone.utc)


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def test_a_due_date_on_the_day_daylight_saving_starts_reads_in_the_users_zone():
    # New York's clocks go from 02:00 EST to 03:00 EDT on 8 March 2026: noon UTC is 08:00 there, not 07:00.
    assert times.moment(utc(2026, 3, 8, 12, 0), NEW_YORK, IN_2026) == "Sun 8 Mar 08:00"
    assert times.moment(utc(2026, 3, 7, 12, 0), NEW_YORK, IN_2026) == "Sat 7 Mar 07:00"
    assert times.moment(utc(2026, 3, 8, 12, 0), TOKYO, IN_2026) == "Sun 8 Mar 21:00"
    assert times.moment(utc(2026, 3, 8, 12, 0), NOBODY, IN_2026) == "Sun 8 Mar 12:00"


def test_moments_name_the_year_only_when_it_is_not_this_year_on_the_users_clock():
    assert times.moment(utc(2025, 9, 21, 11, 44), NEW_YORK, IN_2026) == "Sun 21 Sep 2025 07:44"
    # 1 January 03:00 UTC is still New Year's Eve in New York: "this year" there is 2025.
    assert times.moment(utc(2025, 12, 31, 20, 0), NEW_YORK, utc(2026, 1, 1, 3, 0)) == "Wed 31 Dec 15:00"
    assert times.moment(None, NEW_YORK) == ""


def test_days_and_the_users_day_of_a_moment():
    assert times.day(date(2026, 9, 21)) == "21 Sep 2026"
    # 02:00 UTC on the 22nd is still the 21st in New York.
    assert times.day(utc(2026, 9, 22, 2, 0), NEW_YORK) == "21 Sep 2026"
    assert times.day(utc(2026, 9, 22, 2, 0)) == "22 Sep 2026"


def test_relative_times():
    now = utc(2026, 9, 21, 12, 0)
    assert times.relative(utc(2026, 9, 21, 15, 0), now) == "in 3 h"
    assert times.relative(utc(2026, 9, 21, 10, 0), now) == "2 h ago"
    assert times.relative(utc(2026, 9, 21, 11, 55), now) == "5 min ago"
    assert times.relative(utc(2026, 9, 21, 12, 0, 30), now) == "just now"
    assert times.relative(utc(2026, 9, 23, 13, 0), now) == "in 2 d"
    # Past a week the moment says more than a count of days.
    assert times.recent(utc(2026, 9, 1, 12, 0), NEW_YORK, now) == "Tue 1 Sep 08:00"
    assert times.recent(utc(2026, 9, 21, 9, 0), NEW_YORK, now) == "3 h ago"


def test_the_zone_defaults_to_utc_and_is_named_as_people_say_it():
    assert times.zone_of(NOBODY).key == "UTC" and times.zone_of(None).key == "UTC"
    assert times.zone_of(SimpleNamespace(time_zone="Mars/Olympus_Mons")).key == "UTC"  # a zone no longer known
    assert times.zone_of(NEW_YORK).key == "America/New_York"
    assert times.zone_label(NEW_YORK) == "New York time"
    assert times.zone_label(SimpleNamespace(time_zone="America/Argentina/Buenos_Aires")) == "Buenos Aires time"
    assert times.zone_label(NOBODY) == "UTC" and times.zone_label(SimpleNamespace(time_zone="Etc/UTC")) == "UTC"


def test_typed_times_are_read_on_the_users_clock():
    assert times.read("2026-03-08 08:00", NEW_YORK) == utc(2026, 3, 8, 12, 0)
    assert times.read("2026-03-07T07:00", NEW_YORK) == utc(2026, 3, 7, 12, 0)
    assert times.read("2026-03-08", NEW_YORK) == utc(2026, 3, 8, 5, 0)  # a day alone: its midnight there
    assert times.read("2026-03-08T08:00Z", NEW_YORK) == utc(2026, 3, 8, 8, 0)  # an explicit offset wins
    assert times.read("2026-03-08 08:00+0100", NEW_YORK) == utc(2026, 3, 8, 7, 0)
    # 01:30 happens twice when the clocks go back (1 November 2026): the first one, still in daylight time.
    assert times.read("2026-11-01 01:30", NEW_YORK) == utc(2026, 11, 1, 5, 30)
    assert times.read("  ", NEW_YORK) is None and times.read(None, NEW_YORK) is None
    assert times.input_text(utc(2026, 3, 8, 12, 0), NEW_YORK) == "2026-03-08 08:00"


@pytest.mark.parametrize("typed, message", [
    ("2026-03-08 02:30", "02:30 does not exist on 8 Mar 2026 in New York time (the clocks go forward)"),
    ("2026-02-30 10:00", "2026-02-30 10:00 is not a real date and time"),
    ("tomorrow", "enter a date and time as YYYY-MM-DD HH:MM, New York time"),
    ("1700000000", "enter a date and time as YYYY-MM-DD HH:MM, New York time"),
])
def test_what_is_not_a_moment_on_the_users_clock_is_refused_with_a_sentence(typed, message):
    with pytest.raises(ValueError) as refused:
        times.read(typed, NEW_YORK)
    assert str(refused.value) == message


def test_the_latest_time_of_day_on_a_users_clock_follows_daylight_saving():
    # The digest at 07:00 New York time: 12:00 UTC before the change, 11:00 UTC from 8 March 2026.
    assert domain_times.latest(time(7), NEW_YORK, utc(2026, 3, 7, 13, 0)) == utc(2026, 3, 7, 12, 0)
    assert domain_times.latest(time(7), NEW_YORK, utc(2026, 3, 8, 11, 30)) == utc(2026, 3, 8, 11, 0)
    assert domain_times.latest(time(7), NEW_YORK, utc(2026, 3, 8, 10, 59)) == utc(2026, 3, 7, 12, 0)


def test_the_when_element_names_the_zone_on_hover_and_carries_the_utc_moment():
    element = times.when(utc(2026, 3, 8, 12, 0), NEW_YORK, IN_2026)
    assert element.children == "Sun 8 Mar 08:00"
    assert element.title == "Sun 8 Mar 08:00 New York time"
    assert element.dateTime == "2026-03-08T12:00:00+00:00"
    assert times.when(utc(2026, 5, 31, 22, 0), NEW_YORK, IN_2026, lapse=True).children == "2 h ago"


def test_a_time_zone_is_an_iana_name_this_machine_knows():
    assert UserUpdate(time_zone="America/New_York").time_zone == "America/New_York"
    assert UserUpdate(time_zone=None).time_zone is None
    for wrong in ("New York", "America/Gotham", "x" * 65, ""):
        with pytest.raises(ValidationError):
            UserUpdate(time_zone=wrong)
