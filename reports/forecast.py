"""Forecasts from the team's own history: when open work will be done, how much will be done by a
date, and how likely each open task is to breach its SLA.

When and how many: a Monte Carlo simulation over the daily throughput of the last N weeks (the
method of ActionableAgile and Troy Magennis's forecasting). Each of TRIALS trials draws every
future day's completions at random, with replacement, from the days of that history (weekends
and holidays included, as they happened) and adds them up: the day its total reaches the backlog
is when that trial is done, its total on a date is how many it did by then. Assumptions: the
future looks like the sampled past (the same team, the same mix of work), days are independent of
each other, and the backlog does not grow (work arriving meanwhile is not counted). The trials
are seeded from their inputs, so the same history and backlog give the same answer.

Breach probability: for an open task whose SLA clock has used c seconds of a target T, the share
of the completed tasks of its priority whose clock went past T among those whose clock went past
c: P(clock > T | clock > c), read from the SLA-clock distribution the analytics facts keep
(log-spaced buckets, so c and T are placed to within 4.9 %). A task already past its target has
breached (1.0); one older than every completed task of its priority has no answer (None).
Completed tasks are the evidence: tasks cancelled or still open are not in it.
"""
import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from sqlalchemy import func, select

from db import session
from db.models import Priority, Task, TaskStatus
from domain.errors import ValidationFailed
from domain.filters import TaskFilters
from domain.rules import OPEN_STATUSES
from reports import facts
from reports.filters import task_conditions
from reports.flow import completed_tasks
from reports.sql import epoch_day, log_bucket, now_or

#: Trials of each simulation: a percentile of 10,000 draws moves by about a day between seeds.
TRIALS = 10_000
#: The confidences every forecast gives.
CONFIDENCES = (50, 85, 95)
#: Weeks of history sampled unless the user chooses.
DEFAULT_WEEKS = 12
MAX_WEEKS = 104
#: How far ahead a trial runs: one not done by then counts as "not within this horizon".
HORIZON_DAYS = 3 * 365
#: Days simulated at a time (trials × days of draws in memory at once).
CHUNK_DAYS = 90


@dataclass(frozen=True)
class History:
    """Completions per UTC day over the sampled weeks (oldest first), and the open backlog now."""

    first_day: date
    daily: tuple[int, ...]
    backlog: int


def history(filters: TaskFilters, *, weeks: int = DEFAULT_WEEKS, case_id=None, now: datetime | None = None) -> History:
    """The throughput of the `weeks` full UTC days before today for the filters (their date range ignored), and the
    open tasks now: of the case `case_id` if given (its work, done at the pace of the filtered team), else of the filters."""
    today = now_or(now).date()
    first = today - timedelta(days=7 * weeks)
    team = _any_time(filters)
    daily = [0] * (7 * weeks)
    for day, n in _completions(team, first, today):
        daily[(day - first).days] += int(n)
    backlog = _open(TaskFilters(case_id=case_id) if case_id is not None else team)
    return History(first_day=first, daily=tuple(daily), backlog=backlog)


def _completions(filters: TaskFilters, first: date, today: date) -> list[tuple[date, int]]:
    """(day, tasks completed that day) for the days from `first` to before `today`: the facts' LEAD counts, or live."""
    if facts.uncovered(filters) is None:
        rows = facts.counts(filters, [facts.LEAD], ("day",), after=first - timedelta(days=1), before=today)
        return [(day, n) for day, n in rows]
    period = TaskFilters(**{**vars(filters), "date_from": facts.day_start(first), "date_to": facts.day_start(today)})
    completed = completed_tasks(period)
    day = epoch_day(completed.c.completed_s).label("day")
    return [(day, n) for day, n in session.execute(select(day, func.count()).group_by(day))]


def _open(filters: TaskFilters) -> int:
    """Open tasks now for the filters: the facts' state now, or a count of the tasks."""
    if filters.case_id is None and facts.uncovered(filters) is None:
        open_codes = [facts.STATUS_CODES[status] for status in OPEN_STATUSES]
        return sum(int(n) for status, n in facts.counts(filters, [facts.CURRENT], ("status",), period=False)
                   if status in open_codes)
    statement = select(func.count()).select_from(Task).where(Task.status.in_(OPEN_STATUSES), *task_conditions(filters))
    return int(session.scalar(statement) or 0)


def _any_time(filters: TaskFilters) -> TaskFilters:
    """The filters without their date range."""
    return TaskFilters(**{**vars(filters), "date_from": None, "date_to": None})


def _rng(*inputs) -> np.random.Generator:
    """A generator seeded from the inputs: the same history and question give the same answer."""
    return np.random.default_rng(zlib.crc32(repr(inputs).encode()))


def days_to_finish(daily: Sequence[int], backlog: int, *, trials: int = TRIALS) -> np.ndarray:
    """Per trial, the days until its drawn completions reach `backlog` (0 if nothing is open); HORIZON_DAYS + 1 for a
    trial not done within the horizon."""
    finish = np.full(trials, HORIZON_DAYS + 1, dtype=np.int64)
    if backlog <= 0:
        return np.zeros(trials, dtype=np.int64)
    sample = np.asarray(daily, dtype=np.int64)
    if not sample.size or not sample.any():
        return finish
    rng = _rng("when", tuple(daily), backlog, trials)
    done = np.zeros(trials, dtype=np.int64)
    pending = np.ones(trials, dtype=bool)
    for start in range(0, HORIZON_DAYS, CHUNK_DAYS):
        span = min(CHUNK_DAYS, HORIZON_DAYS - start)
        totals = done[:, None] + np.cumsum(rng.choice(sample, size=(trials, span)), axis=1)
        reached = totals >= backlog
        newly = pending & reached.any(axis=1)
        finish[newly] = start + reached[newly].argmax(axis=1) + 1
        pending &= ~newly
        done = totals[:, -1]
        if not pending.any():
            break
    return finish


def done_by(daily: Sequence[int], days: int, *, trials: int = TRIALS) -> np.ndarray:
    """Per trial, how many tasks it completed in the next `days` days."""
    sample = np.asarray(daily, dtype=np.int64)
    if days <= 0 or not sample.size:
        return np.zeros(trials, dtype=np.int64)
    rng = _rng("many", tuple(daily), days, trials)
    totals = np.zeros(trials, dtype=np.int64)
    for start in range(0, days, CHUNK_DAYS):
        totals += rng.choice(sample, size=(trials, min(CHUNK_DAYS, days - start))).sum(axis=1)
    return totals


def within(finish: np.ndarray, confidence: int) -> int | None:
    """The fewest days within which `confidence` % of the trials were done; None if that is past the horizon."""
    needed = math.ceil(len(finish) * confidence / 100)
    days = int(np.sort(finish)[needed - 1])
    return None if days > HORIZON_DAYS else days


def at_least(totals: np.ndarray, confidence: int) -> int:
    """The most tasks that `confidence` % of the trials completed at least."""
    needed = math.ceil(len(totals) * confidence / 100)
    return int(np.sort(totals)[len(totals) - needed])


def forecast(*, filters: TaskFilters, weeks: int = DEFAULT_WEEKS, by: date | None = None, case_id=None,
             now: datetime | None = None) -> dict:
    """When the open work is done and how many tasks are done by `by`, at each confidence, with the trials' histogram.

    `by` must be a day after today (UTC) and within HORIZON_DAYS of it: ValidationFailed otherwise.
    """
    now = now_or(now)
    today = now.date()
    if by is not None and by <= today:
        raise ValidationFailed("by must be a day after today (UTC)", [{"field": "by", "message": "must be after today"}])
    if by is not None and (by - today).days > HORIZON_DAYS:  # each day ahead is simulated 10,000 times
        raise ValidationFailed(f"by must be within {HORIZON_DAYS} days of today",
                               [{"field": "by", "message": f"must be within {HORIZON_DAYS} days of today"}])
    past = history(filters, weeks=weeks, case_id=case_id, now=now)
    finish = days_to_finish(past.daily, past.backlog)
    done_days, counts = np.unique(finish[finish <= HORIZON_DAYS], return_counts=True)
    result = {
        "weeks": weeks,
        "history_from": past.first_day,
        "history_to": today - timedelta(days=1),
        "completed_in_history": sum(past.daily),
        "backlog": past.backlog,
        "trials": TRIALS,
        "when": {f"p{c}": _day(today, within(finish, c)) for c in CONFIDENCES},
        "not_within_horizon": int((finish > HORIZON_DAYS).sum()),
        "histogram": [{"date": today + timedelta(days=int(d)), "trials": int(n)} for d, n in zip(done_days, counts)],
        "how_many": None,
    }
    if by is not None:
        totals = done_by(past.daily, (by - today).days)
        result["how_many"] = {"date": by, **{f"p{c}": at_least(totals, c) for c in CONFIDENCES}}
    return result


def _day(today: date, days: int | None) -> date | None:
    return None if days is None else today + timedelta(days=days)


# --- breach probability -----------------------------------------------------------------------


def clock_histograms(filters: TaskFilters) -> dict[Priority, dict[int, int]]:
    """Per priority, the SLA clock the completed tasks of the filters (any time) used, as {bucket: tasks}: from the
    facts, or counted live."""
    filters = _any_time(filters)
    if facts.uncovered(filters) is None:
        rows = facts.counts(filters, [facts.SLA_CLOCK], ("priority", "bucket"))
        priorities = {code: Priority(value) for code, value in facts.PRIORITIES.items()}
    else:
        bucket = log_bucket(facts.clock_used()).label("bucket")
        rows = session.execute(select(Task.priority, bucket, func.count())
                               .where(Task.status == TaskStatus.COMPLETED, *task_conditions(filters))
                               .group_by(Task.priority, bucket))
        priorities = {priority: priority for priority in Priority}
    found: dict[Priority, dict[int, int]] = {}
    for priority, bucket, n in rows:
        if n:
            found.setdefault(priorities[priority], {})[bucket] = int(n)
    return found


def breach_probability(histogram: dict[int, int], clock_s: float, target_s: float) -> float | None:
    """P(clock > target | clock > clock_s) from a priority's SLA-clock buckets; 1.0 if already past the target, None
    if no completed task's clock went past `clock_s`."""
    if clock_s > target_s:
        return 1.0
    past_now = sum(n for b, n in histogram.items() if facts.midpoint(b) > clock_s)
    if not past_now:
        return None
    return sum(n for b, n in histogram.items() if facts.midpoint(b) > target_s) / past_now

