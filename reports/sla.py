"""SLA: resolution clock per task, compliance, breached and at-risk work, what-if targets.

The clock of a task runs from its creation while it is New or In Progress, pauses while On
Hold, stops at Completed (and runs again if the task is reopened). Cancelled tasks are left out:
their SLA is cancelled. Targets are those of the task's current priority; a priority whose
target counts business hours runs its clock only in the working time of the business-hours
calendar (workflow/calendar.py), through the working coordinates db/status_intervals.py keeps.
"""
import functools
import uuid
from collections.abc import Collection, Iterable
from datetime import datetime, timezone

import pandas as pd
from sqlalchemy import Float, Subquery, and_, bindparam, case, func, literal, null, or_, select, union_all, update

from db.models import Priority, SlaTarget, Task, TaskStatus, TaskStatusInterval, User
from db.status_intervals import CLOCK_STATUSES, moment_at, working_coordinate
from db.types import epoch_seconds
from domain import calendar as domain_calendar
from domain import sla as sla_rules
from domain.filters import TaskFilters
from db import session
from domain.rules import OPEN_STATUSES
from reports import facts, forecast, policy
from reports.filters import epoch_in_range, in_range, task_conditions
from reports.sql import as_text, frame, now_or, seconds, week_start

#: Share of the target used from which an open task is at risk.
AT_RISK_SHARE = 0.75
MET, BREACHED, AT_RISK, ON_TRACK = "met", "breached", "at_risk", "on_track"


def task_outcomes(filters: TaskFilters, targets: dict[Priority, int], now: datetime,
                  statuses: Collection[TaskStatus] | None = None, task_ids=None) -> Subquery:
    """Per task (cancelled ones left out; of `statuses` and `task_ids`, if given): target_s, clock_s, outcome,
    decided_s, status, since_s, title, created_at.

    outcome is `met` or `breached` for completed tasks, `breached`, `at_risk` or `on_track` for
    open ones. decided_s is when the outcome was settled: the completion for completed tasks,
    the moment the clock passed the target for open breached tasks, NULL otherwise. The clock of
    a priority whose target counts business hours is in working seconds of the calendar.
    """
    target_s = case({priority: minutes * 60 for priority, minutes in targets.items()}, value=Task.priority)
    since_s = epoch_seconds(Task.status_since)
    wall, work, business = _clocks(target_s, seconds(now))
    clock_s = case((business, work.clock), else_=wall.clock)
    completed = Task.status == TaskStatus.COMPLETED
    breached = clock_s > target_s
    outcome = case(
        (and_(completed, ~breached), MET),
        (breached, BREACHED),
        (clock_s >= AT_RISK_SHARE * target_s, AT_RISK),
        else_=ON_TRACK,
    )
    decided = case(
        (completed, since_s),
        (breached, case((business, work.passed_target), else_=wall.passed_target)),
        else_=null(),
    )
    return (
        select(
            Task.id.label("task_id"),
            Task.title,
            Task.created_at,
            Task.priority,
            Task.assigned_to,
            as_text(Task.status).label("status"),
            since_s.label("since_s"),
            target_s.label("target_s"),
            clock_s.label("clock_s"),
            outcome.label("outcome"),
            decided.label("decided_s"),
            Task.sla_due_s.label("due_s"),
        )
        .where(Task.status != TaskStatus.CANCELLED, *task_conditions(filters),
               *([Task.status.in_(statuses)] if statuses is not None else []),
               *([Task.id.in_(task_ids)] if task_ids is not None else []))
        .subquery("outcomes")
    )


def _clocks(target_s, now_s) -> tuple:
    """(wall clock, working-time clock, whether the task's priority counts business hours) of a task, in SQL."""
    running = Task.status.in_(CLOCK_STATUSES)
    wall = _Clock(now=now_s, since=epoch_seconds(Task.status_since), used=Task.sla_clock_s, target_s=target_s,
                  running=running, start=epoch_seconds(TaskStatusInterval.started_at),
                  end=epoch_seconds(TaskStatusInterval.ended_at), used_before=TaskStatusInterval.clock_before_s,
                  to_moment=lambda value: value)
    work = _Clock(now=working_coordinate(now_s), since=Task.status_since_w, used=Task.sla_work_clock_s,
                  target_s=target_s, running=running, start=TaskStatusInterval.started_w,
                  end=TaskStatusInterval.ended_w, used_before=TaskStatusInterval.work_clock_before_s,
                  to_moment=moment_at)
    # Read from the policy table in the statement itself: one subquery, evaluated once.
    business = Task.priority.in_(select(SlaTarget.priority).where(SlaTarget.business_hours.is_(True)))
    return wall, work, business


@functools.cache
def _due_update(of_tasks: bool):
    wall, work, business = _clocks(facts.target_seconds(), literal(0.0, Float))
    due = case((Task.status.in_(OPEN_STATUSES), case((business, work.passed_target), else_=wall.passed_target)),
               else_=null())
    where = [Task.id.in_(bindparam("task_ids", expanding=True))] if of_tasks else [
        or_(Task.status.in_(OPEN_STATUSES), Task.sla_due_s.is_not(None))]
    return update(Task).where(*where).values(sla_due_s=due).execution_options(synchronize_session=False)


def due_update(task_ids: Iterable[uuid.UUID] | None = None) -> tuple:
    """(statement, parameters) keeping tasks.sla_due_s: when an open task's clock passes (or passed) its target.

    Of every task, or of `task_ids`. Set while the clock runs, and for paused tasks already past
    their target; NULL otherwise. It does not depend on the current time, so it changes only with
    the task or the policy; an open task is breached once its clock is past the target, which is
    after this moment (see cut_off).
    """
    if task_ids is None:
        return _due_update(False), {}
    return _due_update(True), {"task_ids": list(task_ids)}


def cut_off(now: datetime) -> datetime:
    """The moment before which every open task due (sla_due_s) is breached at `now`: the last working moment.

    A business-hours clock that reached its target at closing time is not past it until work
    resumes; a wall clock is past it at once, and the last working moment is never after now.
    """
    calendar = policy.get_calendar()
    return domain_calendar.moment_at(calendar, domain_calendar.working_coordinate(calendar, now))


class _Clock:
    """A task's SLA clock on one time line: wall-clock seconds, or working seconds of the calendar."""

    def __init__(self, *, now, since, used, target_s, running, start, end, used_before, to_moment):
        # The task keeps the clock used before its current status; only a running status adds to it.
        self.clock = used + case((running, now - since), else_=literal(0.0, Float))
        # An open task passed its target in its current status if it had clock left when that
        # began; otherwise in the earlier stretch whose clock time crossed it (looked up for
        # those tasks only). `to_moment` turns the time line's point back into epoch seconds.
        interval = TaskStatusInterval
        crossed_earlier = (
            select(func.min(start + target_s - used_before))
            .where(
                interval.task_id == Task.id,
                interval.status.in_(CLOCK_STATUSES),
                interval.ended_at.is_not(None),
                used_before <= target_s,
                used_before + (end - start) > target_s,
            )
            # Correlated by name: the working-time clock nests this in one more subquery.
            .correlate(Task)
            .scalar_subquery()
        )
        self.passed_target = case(
            (and_(running, used <= target_s), to_moment(since + target_s - used)),
            else_=to_moment(crossed_earlier),
        )


def decided_outcomes(filters: TaskFilters, targets: dict[Priority, int], now: datetime):
    """task_outcomes, and the conditions for the tasks whose outcome was settled in the date range."""
    outcomes = task_outcomes(filters, targets, now)
    conditions = [outcomes.c.outcome.in_((MET, BREACHED)), *epoch_in_range(outcomes.c.decided_s, filters)]
    return outcomes, conditions


def _with_percent(counts: pd.DataFrame) -> pd.DataFrame:
    counts = counts.astype({"met": "int64", "breached": "int64"})
    decided = counts["met"] + counts["breached"]
    counts.loc[:, "compliance_pct"] = (100.0 * counts["met"] / decided.where(decided > 0)).round(1)
    return counts


#: The key columns of each grouping of the compliance tables.
GROUP_KEYS = {None: [], "priority": ["priority"], "assignee": ["assigned_to", "assignee_name"],
              "department": ["department"], "week": ["week"]}


def _compliance(filters, targets, now, group: str | None) -> pd.DataFrame:
    """Met and breached per group: from the facts when they cover the filters, else from the history.

    From the facts: the completed tasks, and the open ones whose target was passed in an hour
    before the last working moment's (all breached by now); the open ones due since are read live.
    """
    if facts.uncovered(filters) is not None:
        return _compliance_live(filters, targets, now, group)
    policy_targets, business = policy.get_policy()
    moved = {priority for priority, minutes in targets.items() if minutes != policy_targets[priority]}
    decided = _completed_from_facts(filters, targets, group, moved)
    if moved:  # a what-if moves the open tasks' due moments: those are read live then
        open_now = _compliance_live(filters, targets, now, group, open_only=True)
    else:
        # An open task due before this moment has passed its target: the last working moment for a
        # business-hours clock, now for a wall clock. The facts hold the hours before its hour.
        last_working = cut_off(now) if any(business.values()) else now
        passed = {priority: last_working if business[priority] else now for priority in Priority}
        since = {priority: moment.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
                 for priority, moment in passed.items()}
        decided += _due_from_facts(filters, group, since)
        open_now = _grouped(*_breached_since(filters, since, passed), group)
    still_open = [(tuple(row[:-2]), row[-2], row[-1]) for row in open_now.itertuples(index=False)]
    totals: dict[tuple, list[int]] = {}
    for key, met, breached in [*decided, *still_open]:
        pair = totals.setdefault(key, [0, 0])
        pair[0] += int(met)
        pair[1] += int(breached)
    keys = GROUP_KEYS[group]
    ordered = sorted(totals.items(), key=lambda item: tuple((value is None, str(value)) for value in item[0]))
    rows = [dict(zip(keys, key), met=met, breached=breached) for key, (met, breached) in ordered]
    if not keys and not rows:
        rows = [{"met": 0, "breached": 0}]
    return _with_percent(pd.DataFrame(rows, columns=[*keys, "met", "breached"]))


def _fact_columns(filters, group) -> list[str]:
    # With an assignee filter only the per-assignee facts apply: their department is the person's.
    department = ["department"] if filters.assigned_to is None else ["assignee_id"]
    return {None: [], "priority": ["priority"], "assignee": ["assignee_id"], "department": department,
            "week": ["day"]}[group]


def _due_from_facts(filters, group, since: dict[Priority, datetime]) -> list[tuple]:
    """(key, 0, breached) per group of the open tasks whose target was passed in the period, before the hour that
    begins at their priority's moment in `since`."""
    by = _fact_columns(filters, group)
    people = _people() if group in ("assignee", "department") else {}
    due_before = {facts.PRIORITY_CODES[priority]: moment for priority, moment in since.items()}
    return [(_group_key(group, dict(zip(by, row[:-1])), people), 0, int(row[-1]))
            for row in facts.counts(filters, [facts.OPEN_DUE], by, due_before=due_before) if row[-1]]


def _completed_from_facts(filters, targets, group, moved) -> list[tuple]:
    """(key, met, breached) per group of the tasks completed in the period, read from the facts.

    A priority whose target differs from the policy's (`moved`, a what-if) is judged from the SLA
    clock's buckets: exact but for the tasks whose clock lies within ERROR of the target.
    """
    moved = {facts.PRIORITY_CODES[priority] for priority in moved}
    columns = _fact_columns(filters, group)
    by = ["measure", "priority", *([] if "priority" in columns else columns)]
    people = _people() if group in ("assignee", "department") else {}
    found = []
    for row in facts.counts(filters, [facts.SLA_MET, facts.SLA_BREACHED], by):
        values = dict(zip(by, row[:-1]))
        if values["priority"] not in moved:
            met = values["measure"] == facts.SLA_MET
            found.append((_group_key(group, values, people), int(row[-1]) if met else 0, 0 if met else int(row[-1])))
    if moved:
        for row in facts.counts(filters, [facts.SLA_CLOCK], [*by, "bucket"]):
            values = dict(zip([*by, "bucket"], row[:-1]))
            if values["priority"] in moved:
                target_s = targets[Priority(facts.PRIORITIES[values["priority"]])] * 60
                met = facts.midpoint(values["bucket"]) <= target_s
                found.append((_group_key(group, values, people), int(row[-1]) if met else 0, 0 if met else int(row[-1])))
    return found


def _people() -> dict:
    return {row.id: row for row in session.execute(select(User.id, User.full_name, User.department))}


def _group_key(group, values: dict, people: dict) -> tuple:
    if group == "priority":
        return (facts.PRIORITIES[values["priority"]],)
    if group == "week":
        return (facts.monday(values["day"]).isoformat(),)
    if group == "department" and "department" in values:
        return (values["department"] or None,)
    if group in ("assignee", "department"):
        person = people.get(values["assignee_id"])
        if group == "department":
            return (person.department if person is not None else None,)
        return (person.id, person.full_name) if person is not None else (None, None)
    return ()


def _breached_since(filters: TaskFilters, since: dict[Priority, datetime], passed: dict[Priority, datetime]) -> tuple:
    """(outcomes, conditions) of the open tasks in the period whose target was passed between their priority's
    moments in `since` and `passed` (due before `passed` is past the target).

    Read off the kept due moments (an index range), with no clock computed; decided_s is the due
    moment, as for every open breached task.
    """
    lower = {priority: moment.timestamp() for priority, moment in since.items()}
    upper = {priority: moment.timestamp() for priority, moment in passed.items()}
    outcomes = (
        select(Task.priority, Task.assigned_to, Task.sla_due_s.label("decided_s"), literal(BREACHED).label("outcome"))
        # The outer bounds first: the index's range; then each priority's own.
        .where(Task.sla_due_s >= min(lower.values()), Task.sla_due_s < max(upper.values()),
               Task.sla_due_s >= case(lower, value=Task.priority), Task.sla_due_s < case(upper, value=Task.priority),
               Task.status.in_(OPEN_STATUSES), *task_conditions(filters), *epoch_in_range(Task.sla_due_s, filters))
        .subquery("breached_since")
    )
    return outcomes, []


def _compliance_live(filters, targets, now, group: str | None, open_only: bool = False) -> pd.DataFrame:
    outcomes, conditions = decided_outcomes(filters, targets, now)
    if open_only:
        conditions.append(outcomes.c.status.in_(OPEN_STATUSES))
    counts = _grouped(outcomes, conditions, group)
    return counts if open_only else _with_percent(counts)


def _grouped(outcomes, conditions: list, group: str | None) -> pd.DataFrame:
    """Met and breached of `outcomes` (priority, assigned_to, decided_s, outcome) per group, as a frame."""
    keys = {
        None: [],
        "priority": [as_text(outcomes.c.priority).label("priority")],
        "assignee": [outcomes.c.assigned_to, User.full_name.label("assignee_name")],
        "department": [User.department],
        "week": [week_start(outcomes.c.decided_s).label("week")],
    }[group]
    statement = select(
        *keys,
        func.coalesce(func.sum(case((outcomes.c.outcome == MET, 1), else_=0)), 0).label("met"),
        func.coalesce(func.sum(case((outcomes.c.outcome == BREACHED, 1), else_=0)), 0).label("breached"),
    ).where(*conditions)
    if group in ("assignee", "department"):
        statement = statement.select_from(outcomes).outerjoin(User, User.id == outcomes.c.assigned_to)
    if keys:
        # Rows with no assignee or department last, on both backends.
        statement = statement.group_by(*keys).order_by(*(key.nulls_last() for key in keys))
    return frame(statement)


def _targets(targets: dict[Priority, int] | None) -> dict[Priority, int]:
    return policy.get_targets() if targets is None else targets


def compliance(*, filters: TaskFilters, now: datetime | None = None) -> dict:
    """SLA compliance: the share of tasks that met their resolution target, of those whose SLA was settled in the period.

    A task met its SLA if it was completed within its priority's target of clock time (paused
    while On Hold); it breached it if it used more, whether completed or still open. Cancelled
    tasks do not count. Compliance % = met / (met + breached), counted in the period of the
    completion, or for open tasks of the moment the target was passed.
    """
    row = _compliance(filters, _targets(None), now_or(now), None).iloc[0]
    return {"met": int(row["met"]), "breached": int(row["breached"]), "compliance_pct": _number(row["compliance_pct"])}


def compliance_by_priority(*, filters: TaskFilters, now: datetime | None = None) -> pd.DataFrame:
    """SLA compliance per priority (met, breached, compliance %), each against its own target; all priorities listed."""
    targets = _targets(None)
    counts = _compliance(filters, targets, now_or(now), "priority")
    return _per_priority(counts, targets)


def compliance_by_assignee(*, filters: TaskFilters, now: datetime | None = None) -> pd.DataFrame:
    """SLA compliance per current assignee (unassigned tasks in a row with no assignee)."""
    return _compliance(filters, _targets(None), now_or(now), "assignee")


def compliance_by_department(*, filters: TaskFilters, now: datetime | None = None) -> pd.DataFrame:
    """SLA compliance per department of the current assignee (unassigned tasks in a row with no department)."""
    return _compliance(filters, _targets(None), now_or(now), "department")


def compliance_by_week(*, filters: TaskFilters, now: datetime | None = None) -> pd.DataFrame:
    """Weekly SLA compliance: completed tasks count in the week (Monday, UTC) they were completed, open breached tasks in the week their clock passed the target."""
    return _compliance(filters, _targets(None), now_or(now), "week")


def what_if(*, filters: TaskFilters, targets: dict, now: datetime | None = None) -> pd.DataFrame:
    """SLA compliance per priority and overall under other targets (minutes per priority), beside today's; nothing is changed.

    Priorities not given keep their current target.
    """
    now = now_or(now)
    current = _targets(None)
    proposed = {**current, **sla_rules.validate_targets(targets)}
    today = _per_priority(_compliance(filters, current, now, "priority"), current)
    tried = _per_priority(_compliance(filters, proposed, now, "priority"), proposed)
    return today.merge(tried, on="priority", suffixes=("", "_what_if"))


def _per_priority(counts: pd.DataFrame, targets: dict[Priority, int]) -> pd.DataFrame:
    """Every priority in order, with its target, then an `All` row."""
    found = {Priority(value): row for value, row in zip(counts["priority"], counts.to_dict("records"))}
    rows = []
    for priority in Priority:
        row = found.get(priority, {"met": 0, "breached": 0})
        rows.append({"priority": priority.value, "target_minutes": targets[priority], "met": row["met"], "breached": row["breached"]})
    rows.append({"priority": "All", "target_minutes": None,
                 "met": sum(r["met"] for r in rows), "breached": sum(r["breached"] for r in rows)})
    return _with_percent(pd.DataFrame(rows))


#: The watchlist's orders: the soonest (or longest passed) target first, or the likeliest to breach first.
URGENCY, CHANCE = "urgency", "chance"
#: At-risk tasks ranked by their chance beyond the `limit` asked for: a larger set ranks its most urgent ones.
MOST_RANKED = 5000


def watchlist(*, filters: TaskFilters, limit: int = 50, now: datetime | None = None, order: str = URGENCY) -> pd.DataFrame:
    """Open tasks that breached their SLA or are at risk (75 % or more of the target used), most urgent first.

    Most urgent: whose target was (or will be) passed first; a paused task, as if its clock ran
    again now. Time left is the target minus the clock time used: negative for breached tasks.
    breach_probability: the chance it breaches given the clock it has used (1 once breached; None
    if no completed task of its priority ran this long). The date range selects by the tasks' creation.
    With order=chance, the breached come first, then the likeliest to breach (those with no estimate last).
    """
    now = now_or(now)
    if order not in (URGENCY, CHANCE):
        raise ValueError(f"unknown watchlist order {order!r}")
    fetched = limit if order == URGENCY else limit + MOST_RANKED
    rows = _with_breach_probability(_most_urgent(filters, fetched, now), filters)
    if order == CHANCE:
        rows = rows.sort_values("breach_probability", ascending=False, kind="stable", na_position="last")
    return rows.head(limit).reset_index(drop=True)


def _most_urgent(filters: TaskFilters, limit: int, now: datetime) -> pd.DataFrame:
    """The `limit` most urgent breached and at-risk tasks (the watchlist's columns but the chance)."""
    targets, business = policy.get_policy()
    if not facts.ready():  # the due moments are being recomputed: order every open task by its own
        statement, passed_at, outcomes = _urgent(task_outcomes(filters, targets, now), filters, now)
        return frame(statement.order_by(passed_at, outcomes.c.task_id).limit(limit)).drop(columns="key")
    # Two reads: the tasks with a kept due moment in its order (an index), and the paused tasks
    # within target (no due moment while paused) at risk, nearest their target first (indexes too).
    statement, _passed_at, outcomes = _urgent(task_outcomes(filters, targets, now), filters, now)
    running = statement.where(outcomes.c.due_s.is_not(None)).order_by(outcomes.c.due_s, outcomes.c.task_id)
    # The ids first: joined in one statement, the planner scans every paused task for the outcome instead.
    held_ids = list(session.scalars(_paused_at_risk(filters, targets, business, limit)))
    statement, passed_at, held = _urgent(task_outcomes(filters, targets, now, statuses=[TaskStatus.ON_HOLD],
                                                       task_ids=held_ids), filters, now)
    paused = statement.order_by(passed_at, held.c.task_id)
    rows = pd.concat([frame(running.limit(limit)), frame(paused.limit(limit))], ignore_index=True)
    rows = rows.sort_values(["key", "task_id"], kind="stable").head(limit)
    return rows.drop(columns="key").reset_index(drop=True)


def _paused_at_risk(filters: TaskFilters, targets: dict[Priority, int], business: dict[Priority, bool], limit: int):
    """SELECT of the ids of the paused tasks with SLA time left that are at risk, at most `limit` of each priority,
    nearest their target first: read off the paused clocks' indexes, no other paused task's clock computed."""
    picks = []
    for priority in Priority:
        # Paused, the clock is what the task used before: nearest the target is most used (ties by id, as the
        # watchlist orders them).
        used = Task.sla_work_clock_s if business[priority] else Task.sla_clock_s
        pick = (
            select(Task.id)
            .where(Task.priority == priority, Task.status == TaskStatus.ON_HOLD, Task.sla_due_s.is_(None),
                   Task.deleted_at.is_(None), used >= AT_RISK_SHARE * (targets[priority] * 60),
                   *task_conditions(filters), *in_range(Task.created_at, filters))
            .order_by(used.desc(), Task.id)
            .limit(limit)
            .subquery()
        )
        picks.append(select(pick.c.id))
    return union_all(*picks)


def _with_breach_probability(rows: pd.DataFrame, filters: TaskFilters) -> pd.DataFrame:
    """The watchlist with each task's chance of breaching its target (reports/forecast.py), 0-1."""
    # Breached tasks need no distribution (their chance is 1): read it only for the others.
    histograms = forecast.clock_histograms(filters) if (rows["state"] != BREACHED).any() else {}
    rows["breach_probability"] = [
        forecast.breach_probability(histograms.get(Priority(row["priority"]), {}), row["used_hours"] * 3600.0,
                                    row["target_hours"] * 3600.0)
        for row in rows.to_dict("records")]
    return rows


def _urgent(outcomes, filters: TaskFilters, now: datetime) -> tuple:
    """(SELECT of the breached and at-risk open tasks of `outcomes` with the watchlist's columns and `key`,
    the moment each passes its target, the outcomes)."""
    time_left = outcomes.c.target_s - outcomes.c.clock_s
    passed_at = case((outcomes.c.due_s.is_not(None), outcomes.c.due_s), else_=seconds(now) + time_left)
    statement = select(
        outcomes.c.task_id, outcomes.c.title, as_text(outcomes.c.priority).label("priority"), outcomes.c.status,
        outcomes.c.assigned_to, outcomes.c.outcome.label("state"), (outcomes.c.target_s / 3600.0).label("target_hours"),
        (outcomes.c.clock_s / 3600.0).label("used_hours"), (time_left / 3600.0).label("time_left_hours"),
        passed_at.label("key"),
    ).where(outcomes.c.status != TaskStatus.COMPLETED.value, outcomes.c.outcome.in_((BREACHED, AT_RISK)),
            *in_range(outcomes.c.created_at, filters))
    return statement, passed_at, outcomes


def _number(value) -> float | None:
    return None if pd.isna(value) else float(value)
