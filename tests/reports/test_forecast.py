"""Forecasts on known answers: the Monte Carlo's percentiles, the history it samples (from the facts and from the
tasks alike) and the breach probability read from the SLA-clock distribution."""
import math
from datetime import date, timedelta

import numpy as np
import pytest

from db.models import Priority, Role
from domain.filters import TaskFilters
from reports import forecast
from reports.facts import GROWTH
from tests.reports.conftest import at
from workflow import analytics

IP, DONE = "In Progress", "Completed"
HOUR = 3600.0


def test_a_steady_pace_gives_one_answer_at_every_confidence():
    finish = forecast.days_to_finish([5] * 84, 50)
    assert set(finish.tolist()) == {10}
    assert [forecast.within(finish, c) for c in (50, 85, 95)] == [10, 10, 10]
    assert [forecast.at_least(forecast.done_by([5] * 84, 7), c) for c in (50, 85, 95)] == [35, 35, 35]


def test_percentiles_of_a_known_distribution():
    """Each day completes 10 tasks with probability 3/4, else none."""
    daily = [0, 10, 10, 10] * 21
    # Done with 10 tasks on the first day with 10: P(within d days) = 1 - 0.25 ** d = .75, .9375, .984.
    finish = forecast.days_to_finish(daily, 10)
    assert [forecast.within(finish, c) for c in (50, 85, 95)] == [1, 2, 3]
    # In 5 days, 10 × Binomial(5, 3/4): P(at least 40) = .633, P(at least 30) = .896, P(at least 20) = .984.
    totals = forecast.done_by(daily, 5)
    assert [forecast.at_least(totals, c) for c in (50, 85, 95)] == [40, 30, 20]


def test_the_same_question_gets_the_same_answer():
    daily = [0, 3, 1, 7, 0, 0, 2] * 12
    assert np.array_equal(forecast.days_to_finish(daily, 40), forecast.days_to_finish(daily, 40))
    assert np.array_equal(forecast.done_by(daily, 30), forecast.done_by(daily, 30))


def test_nothing_open_is_done_today_and_nothing_done_is_never_done():
    assert forecast.within(forecast.days_to_finish([2] * 84, 0), 95) == 0
    never = forecast.days_to_finish([0] * 84, 5)
    assert forecast.within(never, 50) is None and (never > forecast.HORIZON_DAYS).all()


def test_the_history_and_backlog_from_the_facts_equal_the_tasks(build, make_user, marker):
    ada = make_user(Role.AGENT)
    # Completions on days 1, 1, 2 and 9 after T0 (a Monday), two tasks still open, one of them in progress.
    for day in (1, 1, 2, 9):
        build.task([(24 * day - 5, IP), (24 * day, DONE)], created=24 * day - 6, assigned_to=ada)
    build.task([], created=30, assigned_to=ada)
    build.task([(40, IP)], created=30, assigned_to=ada)
    analytics.rebuild()
    now = at(24 * 14 + 3)  # two weeks after T0, at 12:00
    covered, live = TaskFilters(assigned_to=ada.id), TaskFilters(assigned_to=ada.id, tag=marker)
    from_facts = forecast.history(covered, weeks=2, now=now)
    assert from_facts == forecast.history(live, weeks=2, now=now)
    assert from_facts.first_day == at(0).date() and from_facts.backlog == 2
    # T0 is 09:00; a completion at 24 * day hours after it falls on day `day` (UTC).
    expected = [0] * 14
    for day in (1, 1, 2, 9):
        expected[day] += 1
    assert list(from_facts.daily) == expected
    result = forecast.forecast(filters=covered, weeks=2, by=now.date() + timedelta(days=14), now=now)
    assert result["backlog"] == 2 and result["completed_in_history"] == 4
    assert sum(bar["trials"] for bar in result["histogram"]) + result["not_within_horizon"] == forecast.TRIALS
    assert result["when"]["p50"] <= result["when"]["p85"] <= result["when"]["p95"]
    assert result["how_many"]["p95"] <= result["how_many"]["p85"] <= result["how_many"]["p50"]


def _bucket(seconds: float) -> int:
    return math.floor(math.log(max(seconds, 1)) / math.log(GROWTH)) + 1


def test_breach_probability_on_a_known_distribution():
    """100 completed tasks whose clocks used 1 h (50), 3 h (30) and 10 h (20); the target is 8 h."""
    histogram = {_bucket(1 * HOUR): 50, _bucket(3 * HOUR): 30, _bucket(10 * HOUR): 20}
    target = 8 * HOUR
    assert forecast.breach_probability(histogram, 0.5 * HOUR, target) == pytest.approx(20 / 100)
    assert forecast.breach_probability(histogram, 2 * HOUR, target) == pytest.approx(20 / 50)
    assert forecast.breach_probability(histogram, 5 * HOUR, target) == pytest.approx(1.0)
    assert forecast.breach_probability(histogram, 9 * HOUR, target) == 1.0  # already past the target
    assert forecast.breach_probability({_bucket(1 * HOUR): 5}, 2 * HOUR, target) is None  # older than any completed


def test_the_clock_distribution_from_the_facts_equals_the_tasks(build, make_user, marker):
    ada = make_user(Role.AGENT)
    for hours, priority in ((1, Priority.HIGH), (3, Priority.HIGH), (30, Priority.LOW)):
        build.task([(0.5, IP), (hours, DONE)], priority=priority, assigned_to=ada)
    build.task([(0.5, IP)], priority=Priority.HIGH, assigned_to=ada)  # open: not evidence
    analytics.rebuild()
    covered = forecast.clock_histograms(TaskFilters(assigned_to=ada.id))
    assert covered == forecast.clock_histograms(TaskFilters(assigned_to=ada.id, tag=marker))
    assert covered == {Priority.HIGH: {_bucket(HOUR): 1, _bucket(3 * HOUR): 1}, Priority.LOW: {_bucket(30 * HOUR): 1}}


def test_a_day_not_ahead_has_no_answer(ctx):
    from domain.errors import ValidationFailed

    now = at(24 * 14)
    with pytest.raises(ValidationFailed):
        forecast.forecast(filters=TaskFilters(tag="nothing-here"), by=now.date(), now=now)
    with pytest.raises(ValidationFailed):  # three thousand years of days would each be simulated 10,000 times
        forecast.forecast(filters=TaskFilters(tag="nothing-here"), by=date(5318, 3, 28), now=now)
