"""Status flow: transitions, rework, time in status, cycle and lead time, throughput, cumulative flow, aging WIP.

All of it comes from the status intervals (reports.intervals), the one rule for time in status.
"""
import math
from datetime import date, datetime, timedelta, timezone

import pandas as pd
from sqlalchemy import String, case, func, literal, select, union_all

from db import session
from db.models import Task, TaskHistory, TaskStatus, TaskStatusInterval
from db.status_intervals import reopens
from db.types import epoch_seconds
from domain.filters import TaskFilters
from domain.rules import OPEN_STATUSES
from reports import facts
from reports.filters import epoch_in_range, in_range, task_conditions, task_scope
from reports.intervals import status_intervals, task_milestones
from reports.sql import as_text, floor_int, frame, now_or, percentiles, seconds, week_start

HOUR = 3600.0
DAY = 86400
#: Most points a cumulative flow returns; longer ranges are sampled every few days.
MAX_FLOW_POINTS = 366
#: Most tasks a scatter or aging chart returns (the percentiles still cover all of them).
MAX_POINTS = 2000
STATUS_ORDER = [status.value for status in TaskStatus]


def transitions(*, filters: TaskFilters) -> pd.DataFrame:
    """Status changes from one status to another in the period: how many, and the median hours the task had spent in the status it left."""
    if facts.uncovered(filters) is None:
        pairs = _histograms(facts.counts(filters, [facts.ENTERED], ("from_status", "status", "bucket")))
        rows = pd.DataFrame(
            [{"from_status": facts.STATUSES[source], "to_status": facts.STATUSES[target], "count": sum(histogram.values()),
              "median_hours_in_source": _hours(facts.percentile(histogram, 50))}
             for (source, target), histogram in pairs.items() if source != facts.NONE],
            columns=["from_status", "to_status", "count", "median_hours_in_source"],
        )
        return _in_pair_order(rows)
    intervals = status_intervals(filters)
    moves = (
        select(
            intervals.c.from_status,
            intervals.c.status.label("to_status"),
            ((intervals.c.start_s - intervals.c.from_start_s) / HOUR).label("hours_in_source"),
        )
        .where(intervals.c.from_status.is_not(None), *epoch_in_range(intervals.c.start_s, filters))
        .subquery("moves")
    )
    rows = frame(percentiles(moves, moves.c.hours_in_source, [moves.c.from_status, moves.c.to_status], (50,)))
    return _in_pair_order(rows.rename(columns={"n": "count", "p50": "median_hours_in_source"}))


def _in_pair_order(rows: pd.DataFrame) -> pd.DataFrame:
    rank = {status: number for number, status in enumerate(STATUS_ORDER)}
    order = rows["from_status"].map(rank) * len(rank) + rows["to_status"].map(rank)
    return rows.iloc[order.argsort(kind="stable")].reset_index(drop=True)


def _histograms(rows: list[tuple]) -> dict[tuple, dict[int, int]]:
    """Rows of (*group, bucket, n) as {group: {bucket: n}} (groups with a zero total left out)."""
    grouped: dict[tuple, dict[int, int]] = {}
    for *group, bucket, n in rows:
        if n:
            grouped.setdefault(tuple(group), {})[bucket] = int(n)
    return {group: histogram for group, histogram in grouped.items() if sum(histogram.values())}


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / HOUR


def transition_matrix(*, filters: TaskFilters) -> pd.DataFrame:
    """How many times tasks moved from each status (rows) to each status (columns) in the period; every status shown."""
    counts = transitions(filters=filters)
    matrix = counts.pivot_table(index="from_status", columns="to_status", values="count", aggfunc="sum", fill_value=0)
    return matrix.reindex(index=STATUS_ORDER, columns=STATUS_ORDER, fill_value=0).astype("int64")


def _reopens(filters: TaskFilters):
    interval = TaskStatusInterval
    return select(interval.task_id.label("task_id")).where(*reopens(interval), *in_range(interval.started_at, filters))


def _hand_backs(filters: TaskFilters):
    history = TaskHistory
    return select(history.task_id.label("task_id")).where(history.returned_to_holder, *in_range(history.changed_at, filters))


def reopen_events(filters: TaskFilters):
    """One row (`task_id`) per reopen in the period: a task moved from Completed back to In Progress."""
    reopens = _reopens(filters)
    return reopens.where(*task_scope(reopens.selected_columns.task_id, filters))


def hand_back_events(filters: TaskFilters):
    """One row (`task_id`) per ping-pong reassignment in the period: a task handed back to someone who held it before."""
    hand_backs = _hand_backs(filters)
    return hand_backs.where(*task_scope(hand_backs.selected_columns.task_id, filters))


#: The kinds of rework event, as `rework` tells them apart.
REOPEN, HAND_BACK = 1, 2


def rework(*, filters: TaskFilters) -> dict:
    """Rework in the period: reopens (Completed back to In Progress) and ping-pong reassignments (a task handed back to someone who held it before).

    Counts the events and the distinct tasks they happened to.
    """
    if facts.uncovered(filters) is None:
        return _rework_from_facts(filters)
    # Both are rare rows with an index of their own (the reopens' intervals, the flagged hand-backs), checked
    # against the filters' tasks together: a department's tasks are gathered once, not once per kind.
    events = union_all(
        _reopens(filters).add_columns(literal(REOPEN).label("kind")),
        _hand_backs(filters).add_columns(literal(HAND_BACK).label("kind")),
    ).subquery("events")
    counted = (select(events.c.kind, func.count(), func.count(func.distinct(events.c.task_id)))
               .where(*task_scope(events.c.task_id, filters)).group_by(events.c.kind))
    found = {kind: (int(count), int(tasks)) for kind, count, tasks in session.execute(counted)}
    reopens, reopened = found.get(REOPEN, (0, 0))
    hand_backs, handed_back = found.get(HAND_BACK, (0, 0))
    return {"reopens": reopens, "reopened_tasks": reopened,
            "ping_pong_reassignments": hand_backs, "ping_pong_tasks": handed_back}


def _rework_from_facts(filters: TaskFilters) -> dict:
    """rework from the facts' REOPENED and HANDED_BACK rows of the period (a few per day)."""
    # A task counts once: at its event whose previous one of the kind (the bucket's day) came before the period.
    first_day = facts.day_number(filters.date_from.astimezone(timezone.utc).date()) if filters.date_from else 0
    kinds = [facts.REOPENED, facts.HANDED_BACK]
    events, tasks = dict.fromkeys(kinds, 0), dict.fromkeys(kinds, 0)
    for measure, previous_day, n in facts.counts(filters, kinds, ("measure", "bucket")):
        events[measure] += int(n)
        if previous_day < first_day:
            tasks[measure] += int(n)
    return {"reopens": events[facts.REOPENED], "reopened_tasks": tasks[facts.REOPENED],
            "ping_pong_reassignments": events[facts.HANDED_BACK], "ping_pong_tasks": tasks[facts.HANDED_BACK]}


def time_in_status(*, filters: TaskFilters) -> pd.DataFrame:
    """How long tasks stayed in each status before leaving it (stays that ended in the period): median and 85th percentile hours."""
    if facts.uncovered(filters) is None:
        stays = _histograms(facts.counts(filters, [facts.LEFT], ("status", "bucket")))
        rows = pd.DataFrame(
            [{"status": facts.STATUSES[status], "stays": sum(histogram.values()),
              "median_hours": _hours(facts.percentile(histogram, 50)), "p85_hours": _hours(facts.percentile(histogram, 85))}
             for (status,), histogram in stays.items()],
            columns=["status", "stays", "median_hours", "p85_hours"],
        )
        return _in_status_order(rows, "status")
    intervals = status_intervals(filters)
    stays = (
        select(intervals.c.status, ((intervals.c.end_s - intervals.c.start_s) / HOUR).label("hours"))
        .where(intervals.c.end_s.is_not(None), *epoch_in_range(intervals.c.end_s, filters))
        .subquery("stays")
    )
    rows = frame(percentiles(stays, stays.c.hours, [stays.c.status]))
    rows = rows.rename(columns={"n": "stays", "p50": "median_hours", "p85": "p85_hours"})
    return _in_status_order(rows, "status")


def _in_status_order(rows: pd.DataFrame, column: str) -> pd.DataFrame:
    rank = {status: number for number, status in enumerate(STATUS_ORDER)}
    return rows.sort_values(column, key=lambda values: values.map(rank)).reset_index(drop=True)


def completed_tasks(filters: TaskFilters):
    """Tasks whose status now is Completed, completed (last time) in the period, with cycle and lead hours."""
    milestones = task_milestones(filters)
    return (
        select(
            milestones.c.task_id,
            milestones.c.since_s.label("completed_s"),
            ((milestones.c.since_s - milestones.c.started_s) / HOUR).label("cycle_hours"),
            ((milestones.c.since_s - milestones.c.created_s) / HOUR).label("lead_hours"),
        )
        .where(milestones.c.status == TaskStatus.COMPLETED.value, *epoch_in_range(milestones.c.since_s, filters))
        .subquery("completed")
    )


#: The percentiles of cycle and lead time the reports give.
CYCLE_PERCENTS = (50, 85, 95)


def cycle_lead_percentiles(filters: TaskFilters) -> dict:
    """Tasks completed in the period, and the 50th, 85th and 95th percentiles of their cycle and lead hours."""
    if facts.uncovered(filters) is None:
        found = _histograms(facts.counts(filters, [facts.CYCLE, facts.LEAD], ("measure", "bucket")))
        result = {"tasks": sum(found.get((facts.LEAD,), {}).values())}
        for measure, code in (("cycle", facts.CYCLE), ("lead", facts.LEAD)):
            for percent in CYCLE_PERCENTS:
                result[f"{measure}_p{percent}_hours"] = _hours(facts.percentile(found.get((code,), {}), percent))
        return result
    completed = completed_tasks(filters)
    measures = union_all(
        select(literal("cycle", String).label("measure"), completed.c.cycle_hours.label("hours"))
        .where(completed.c.cycle_hours.is_not(None)),
        select(literal("lead", String).label("measure"), completed.c.lead_hours.label("hours")),
    ).subquery("measures")
    rows = frame(percentiles(measures, measures.c.hours, [measures.c.measure], CYCLE_PERCENTS))
    found = {row["measure"]: row for row in rows.to_dict("records")}
    result = {"tasks": int(found.get("lead", {}).get("n") or 0)}
    for measure in ("cycle", "lead"):
        row = found.get(measure, {})
        for percent in (f"p{percent}" for percent in CYCLE_PERCENTS):
            value = row.get(percent)
            result[f"{measure}_{percent}_hours"] = None if value is None or pd.isna(value) else float(value)
    return result


def cycle_and_lead_times(*, filters: TaskFilters, limit: int = MAX_POINTS) -> dict:
    """Per task completed in the period: cycle time (first In Progress to completion) and lead time (creation to completion), in hours.

    Returns the most recent `limit` tasks as points, and the 50th, 85th and 95th percentiles over
    all of them. A reopened task counts at its last completion.
    """
    # The latest completions off an index (ix_tasks_status_status_since_id), not a sort of all of them.
    done = epoch_seconds(Task.status_since)
    points = frame(
        select(
            Task.id.label("task_id"),
            done.label("completed_s"),
            ((done - epoch_seconds(Task.first_started_at)) / HOUR).label("cycle_hours"),
            ((done - epoch_seconds(Task.created_at)) / HOUR).label("lead_hours"),
        )
        .where(Task.status == TaskStatus.COMPLETED, *task_conditions(filters), *in_range(Task.status_since, filters))
        .order_by(Task.status_since.desc(), Task.id.desc())
        .limit(limit)
    )
    points.loc[:, "completed_at"] = pd.to_datetime(points["completed_s"], unit="s", utc=True)
    # Every completed task has a lead time, so the lead percentiles' row count is the total:
    # one pass over the history fewer than counting apart.
    summary = cycle_lead_percentiles(filters)
    return {"points": points.drop(columns="completed_s"), "tasks": summary.pop("tasks"), **summary}


def weekly_throughput(*, filters: TaskFilters) -> pd.DataFrame:
    """Tasks completed per week (Monday, UTC), counting each task once at its last completion; weeks with none show 0."""
    if facts.uncovered(filters) is None:
        found: dict[date, int] = {}
        for day, n in facts.counts(filters, [facts.LEAD], ("day",)):
            if n:
                found[facts.monday(day)] = found.get(facts.monday(day), 0) + int(n)
    else:
        completed = completed_tasks(filters)
        week = week_start(completed.c.completed_s).label("week")
        rows = frame(select(week, func.count().label("completed")).group_by(week).order_by(week))
        found = {date.fromisoformat(row["week"]): int(row["completed"]) for row in rows.to_dict("records")}
    first = facts.monday(filters.date_from.date()) if filters.date_from else min(found, default=None)
    last = facts.monday((filters.date_to - timedelta(microseconds=1)).date()) if filters.date_to else max(found, default=None)
    if first is None or last is None:
        return pd.DataFrame({"week": pd.Series([], dtype="object"), "completed": pd.Series([], dtype="int64")})
    weeks = [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]
    return pd.DataFrame({"week": weeks, "completed": [found.get(week, 0) for week in weeks]})


def flow_days(filters: TaskFilters, now: datetime) -> list[date]:
    """The days a cumulative flow shows: the date range (default the last 30 days), every few days if long."""
    last = ((filters.date_to - timedelta(microseconds=1)) if filters.date_to else now).date()
    first = filters.date_from.date() if filters.date_from else last - timedelta(days=29)
    total = (last - first).days + 1
    step = max(1, math.ceil(total / MAX_FLOW_POINTS))
    return [first + timedelta(days=n) for n in range(0, total, step)]


def cumulative_flow(*, filters: TaskFilters, now: datetime | None = None) -> pd.DataFrame:
    """For each day of the period, how many tasks were in each status at the end of that day (UTC)."""
    days = flow_days(filters, now_or(now))
    if not days:
        return pd.DataFrame({"day": [], "status": [], "tasks": []})
    step = float((days[1] - days[0]).days * DAY if len(days) > 1 else DAY)
    first_end = (facts.day_start(days[0]) + timedelta(days=1)).timestamp()
    last_end = (facts.day_start(days[-1]) + timedelta(days=1)).timestamp()
    # A task is in a status at a day's end E if its stretch there began before E and had not ended
    # by E: (stretches begun before E) - (stretches ended before E). Each start and end is counted
    # once, in the first day whose end comes after it (bucket 0: before the first day's end), and
    # running sums over the days give the counts: one pass over the intervals, whatever the range.
    if facts.uncovered(filters) is None:
        counts = _flow_counts_from_facts(filters, days)
    else:
        counts = _flow_counts(filters, days, step, first_end, last_end)
    starts, ends = counts[counts["kind"] == "start"], counts[counts["kind"] == "end"]
    rows = []
    for status in STATUS_ORDER:
        began = _per_bucket(starts, status, len(days))
        ended = _per_bucket(ends, status, len(days))
        inside = (began.cumsum() - ended.cumsum()).tolist()
        rows.extend({"day": day, "status": status, "tasks": int(inside[number])} for number, day in enumerate(days))
    rows.sort(key=lambda row: row["day"])
    return pd.DataFrame(rows, columns=["day", "status", "tasks"])


def _flow_counts_from_facts(filters: TaskFilters, days: list[date]) -> pd.DataFrame:
    """Stretches begun ("start") and ended ("end") per status and day bucket, from the facts' daily counts.

    Read backwards from the tasks' statuses now (CURRENT), so only the days after the first one
    are read, however long the history before it: bucket 0 holds the state at the first day's end
    (the statuses now, less what began and plus what ended after that day), and a later day counts
    in bucket (days since the first - 1) // step + 1, as every moment of that day does in the
    history's computation.
    """
    step = (days[1] - days[0]).days if len(days) > 1 else 1
    kinds = {facts.DAY_ENTERED: "start", facts.DAY_LEFT: "end"}
    totals: dict[tuple, int] = {}

    def add(key: tuple, n: int) -> None:
        totals[key] = totals.get(key, 0) + n

    for status, n in facts.counts(filters, [facts.CURRENT], ("status",), period=False):
        add(("start", facts.STATUSES[status], 0), int(n))
    for measure, status, day, n in facts.counts(filters, kinds, ("measure", "status", "day"), after=days[0]):
        name, n = facts.STATUSES[status], int(n)
        add(("start", name, 0), -n if measure == facts.DAY_ENTERED else n)
        if day <= days[-1]:
            add((kinds[measure], name, ((day - days[0]).days - 1) // step + 1), n)
    return pd.DataFrame([(*key, n) for key, n in totals.items()], columns=["kind", "status", "bucket", "n"])


def _flow_counts(filters: TaskFilters, days: list[date], step: float, first_end: float, last_end: float) -> pd.DataFrame:
    """Stretches begun and ended per status and day bucket, counted from the status intervals."""
    intervals = status_intervals(filters)

    def counted(kind: str, moment):
        bucket = case((moment < first_end, 0), else_=floor_int((moment - first_end) / step) + 1).label("bucket")
        return (
            select(literal(kind, String).label("kind"), intervals.c.status, bucket, func.count().label("n"))
            .where(moment < last_end)
            .group_by(intervals.c.status, bucket)
        )

    return frame(union_all(counted("start", intervals.c.start_s), counted("end", intervals.c.end_s)))


def _per_bucket(counts: pd.DataFrame, status: str, buckets: int) -> pd.Series:
    """The counts of one status in buckets 0..buckets-1 (0 where none)."""
    mine = counts[counts["status"] == status]
    return pd.Series(mine["n"].to_numpy(), index=mine["bucket"].astype("int64")).reindex(range(buckets), fill_value=0)


def aging_wip(*, filters: TaskFilters, now: datetime | None = None, limit: int = MAX_POINTS,
              cycle_lead: dict | None = None) -> dict:
    """Open tasks by current status with their age (hours since first started, or since creation if not started yet), against the 85th percentile cycle time.

    The date range selects open tasks by creation, and the completed tasks behind the
    percentile by completion. Oldest first, at most `limit` tasks. `cycle_lead`: the same filters'
    cycle_and_lead_times, when the caller has it (the percentile is not read again).
    """
    now_s = seconds(now_or(now))
    # Age counts from this moment; the oldest come first off an index on it (ix_tasks_open_age).
    anchor = func.coalesce(Task.first_started_at, Task.created_at)
    statement = (
        select(
            Task.id.label("task_id"),
            Task.title,
            as_text(Task.status).label("status"),
            ((now_s - epoch_seconds(Task.status_since)) / HOUR).label("hours_in_status"),
            ((now_s - epoch_seconds(anchor)) / HOUR).label("age_hours"),
        )
        .where(Task.status.in_(OPEN_STATUSES), *task_conditions(filters), *in_range(Task.created_at, filters))
        .order_by(anchor, Task.id)
        .limit(limit)
    )
    points = frame(statement)
    reference = (cycle_lead or cycle_lead_percentiles(filters))["cycle_p85_hours"]
    # Plain column assignment: `.loc[:, new] = scalar` fails on a frame with no rows.
    points["over_p85"] = points["age_hours"] > reference if reference is not None else False
    return {"points": points, "cycle_p85_hours": reference}
