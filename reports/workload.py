"""Workload: open tasks now, per assignee and department, and the unassigned queue.

The date range selects tasks by their creation; everything else is the state at this moment.
With filters the analytics facts keep, the counts come from the facts (a few rows per assignee and
day) rather than from every open task: CURRENT rows without a date range, OPEN_CREATED rows of the
range's days with one; the overdue work from OPEN_CREATED's due days and hours.
"""
from datetime import datetime, timezone

import pandas as pd
from sqlalchemy import case, distinct, func, select

from db import session
from db.models import Priority, Task, User
from domain.filters import TaskFilters
from domain.rules import OPEN_STATUSES
from reports import facts
from reports.filters import created_in_range, task_conditions
from reports.sql import frame, now_or, one_row

#: Effort a task of each priority is taken to weigh in "weighted load" (Critical counts five Lows).
PRIORITY_WEIGHTS: dict[Priority, int] = {Priority.LOW: 1, Priority.MEDIUM: 2, Priority.HIGH: 3, Priority.CRITICAL: 5}
#: The columns of a load: open per priority, open, overdue, weighted load.
LOAD_COLUMNS = [*(priority.value for priority in Priority), "open", "overdue", "weighted_load"]


def open_task_conditions(filters: TaskFilters) -> list:
    return [Task.status.in_(OPEN_STATUSES), *task_conditions(filters), *created_in_range(filters)]


def weighted_load():
    """The weighted load of the tasks a query aggregates, as SQL: their count weighted by priority (PRIORITY_WEIGHTS).

    The one definition: the workload report and auto-assignment's "least loaded" both use it.
    """
    return func.sum(case(PRIORITY_WEIGHTS, value=Task.priority))


def _load_columns(now: datetime) -> list:
    """Open count per priority, total, overdue and weighted load, as aggregate columns."""
    by_priority = [func.sum(case((Task.priority == priority, 1), else_=0)).label(priority.value) for priority in Priority]
    return [
        *by_priority,
        func.count().label("open"),
        # The same rule as domain.rules.is_overdue: open and past its due date.
        func.sum(case((Task.due_date < now, 1), else_=0)).label("overdue"),
        weighted_load().label("weighted_load"),
    ]


def open_by_assignee(*, filters: TaskFilters, now: datetime | None = None) -> pd.DataFrame:
    """Open tasks (New, In Progress, On Hold) per assignee, split by priority, with how many are overdue and the weighted load.

    Weighted load adds up the open tasks weighted by priority: Low 1, Medium 2, High 3,
    Critical 5. Overdue means open and past its due date. Busiest assignee first.
    """
    now = now_or(now)
    if _from_facts(filters):
        rows = [{"assigned_to": assignee, "assignee_name": name, "department": department, **load}
                for assignee, (name, department, load) in _assigned_loads(filters, now).items()]
        rows.sort(key=lambda row: (-row["weighted_load"], row["assignee_name"], str(row["assigned_to"])))
        return pd.DataFrame(rows, columns=["assigned_to", "assignee_name", "department", *LOAD_COLUMNS])
    statement = (
        select(Task.assigned_to, User.full_name.label("assignee_name"), User.department, *_load_columns(now))
        .join(User, User.id == Task.assigned_to)
        .where(*open_task_conditions(filters))
        .group_by(Task.assigned_to, User.full_name, User.department)
        .order_by(weighted_load().desc(), User.full_name, Task.assigned_to)
    )
    return frame(statement)


def open_by_department(*, filters: TaskFilters, now: datetime | None = None) -> pd.DataFrame:
    """Open tasks per department of their assignee, split by priority, with overdue, weighted load and load per assignee.

    Load per assignee is the department's weighted load divided by the people holding its open
    tasks. Unassigned tasks belong to no department (see the unassigned queue).
    """
    now = now_or(now)
    if _from_facts(filters):
        totals: dict[str | None, dict] = {}
        for _name, department, load in _assigned_loads(filters, now).values():
            total = totals.setdefault(department, {**dict.fromkeys(LOAD_COLUMNS, 0), "assignees": 0})
            for column in LOAD_COLUMNS:
                total[column] += load[column]
            total["assignees"] += 1
        # By name, no department last (where PostgreSQL sorts NULL).
        order = sorted(totals, key=lambda name: (name is None, name or ""))
        departments = pd.DataFrame([{"department": name, **totals[name]} for name in order],
                                   columns=["department", *LOAD_COLUMNS, "assignees"])
    else:
        departments = frame(
            select(User.department, *_load_columns(now), func.count(distinct(Task.assigned_to)).label("assignees"))
            .join(User, User.id == Task.assigned_to)
            .where(*open_task_conditions(filters))
            .group_by(User.department)
            .order_by(User.department)
        )
    departments.loc[:, "load_per_assignee"] = (departments["weighted_load"] / departments["assignees"]).round(2)
    return departments


def unassigned_queue(*, filters: TaskFilters, now: datetime | None = None) -> dict:
    """The unassigned queue: open tasks nobody holds, by priority, how many are overdue, and when the oldest was created."""
    now = now_or(now)
    unassigned = [Task.assigned_to.is_(None), *open_task_conditions(filters)]
    if _from_facts(filters):
        counts = _loads(filters, now).get(facts.NOBODY, dict.fromkeys(LOAD_COLUMNS, 0))
        oldest = session.scalar(select(func.min(Task.created_at)).where(*unassigned)) if counts["open"] else None
        return {**counts, "oldest_created_at": oldest}
    row = one_row(select(*_load_columns(now), func.min(Task.created_at).label("oldest_created_at")).where(*unassigned))
    counts = {key: int(row[key] or 0) for key in LOAD_COLUMNS}
    return {**counts, "oldest_created_at": row["oldest_created_at"]}


def _from_facts(filters: TaskFilters) -> bool:
    """Whether the facts answer for these filters."""
    return facts.uncovered(filters) is None


def _loads(filters: TaskFilters, now: datetime) -> dict:
    """{assignee id (NOBODY: unassigned): the load's columns}, from the facts (overdue today read live)."""
    loads: dict = {}

    def load(assignee) -> dict:
        return loads.setdefault(assignee, dict.fromkeys(LOAD_COLUMNS, 0))

    open_codes = {facts.STATUS_CODES[status] for status in OPEN_STATUSES}
    # Every task's status now, or the open tasks by the day they were created, for a period.
    period = filters.date_from is not None or filters.date_to is not None
    tasks_now = facts.OPEN_CREATED if period else facts.CURRENT
    for assignee, priority, status, n in facts.counts(filters, [tasks_now], ("assignee_id", "priority", "status"),
                                                      period=period):
        # OPEN_CREATED holds only open tasks, without their status.
        if (period or status in open_codes) and n:
            name = facts.PRIORITIES[priority]
            row = load(assignee)
            row[name] += int(n)
            row["open"] += int(n)
            row["weighted_load"] += int(n) * PRIORITY_WEIGHTS[Priority(name)]
    # Overdue: due in an earlier hour (facts), or earlier in this one (read live).
    hour = now.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    for assignee, n in facts.counts(filters, [facts.OPEN_CREATED], ("assignee_id",), period=period, overdue_at=hour):
        if n:
            load(assignee)["overdue"] += int(n)
    due_this_hour = (select(Task.assigned_to, func.count())
                     .where(*open_task_conditions(filters), Task.due_date >= hour, Task.due_date < now)
                     .group_by(Task.assigned_to))
    for assignee, n in session.execute(due_this_hour):
        load(assignee if assignee is not None else facts.NOBODY)["overdue"] += n
    return loads


def _assigned_loads(filters: TaskFilters, now: datetime) -> dict:
    """{assignee id: (name, department, load)} of the assignees with open tasks."""
    loads = {assignee: load for assignee, load in _loads(filters, now).items() if assignee != facts.NOBODY and load["open"]}
    people = session.execute(select(User.id, User.full_name, User.department).where(User.id.in_(list(loads))))
    return {person_id: (name, department, loads[person_id]) for person_id, name, department in people}


def open_loads(*, user_ids) -> dict:
    """{user id: (open tasks, weighted load)} held now by these users (those holding none are left out).

    Read live from the tasks (one indexed aggregate), so a change not yet committed by its own transaction's
    facts cannot skew it: auto-assignment's "least loaded" compares these, by the workload report's measure.
    """
    user_ids = list(user_ids)
    if not user_ids:
        return {}
    statement = (select(Task.assigned_to, func.count(), weighted_load())
                 .where(*open_task_conditions(TaskFilters()), Task.assigned_to.in_(user_ids))
                 .group_by(Task.assigned_to))
    return {user_id: (int(n), int(load or 0)) for user_id, n, load in session.execute(statement)}
