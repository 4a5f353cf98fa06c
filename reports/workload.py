"""Workload: open tasks now, per assignee and department, and the unassigned queue.

The date range selects tasks by their creation; everything else is the state at this moment.
"""
from datetime import datetime

import pandas as pd
from sqlalchemy import case, distinct, func, select

from db.models import Priority, Task, User
from domain.filters import TaskFilters
from domain.rules import OPEN_STATUSES
from reports.filters import created_in_range, task_conditions
from reports.sql import frame, now_or, one_row

#: Effort a task of each priority is taken to weigh in "weighted load" (Critical counts five Lows).
PRIORITY_WEIGHTS: dict[Priority, int] = {Priority.LOW: 1, Priority.MEDIUM: 2, Priority.HIGH: 3, Priority.CRITICAL: 5}


def open_task_conditions(filters: TaskFilters) -> list:
    return [Task.status.in_(OPEN_STATUSES), *task_conditions(filters), *created_in_range(filters)]


def _load_columns(now: datetime) -> list:
    """Open count per priority, total, overdue and weighted load, as aggregate columns."""
    by_priority = [func.sum(case((Task.priority == priority, 1), else_=0)).label(priority.value) for priority in Priority]
    return [
        *by_priority,
        func.count().label("open"),
        # The same rule as domain.rules.is_overdue: open and past its due date.
        func.sum(case((Task.due_date < now, 1), else_=0)).label("overdue"),
        func.sum(case(PRIORITY_WEIGHTS, value=Task.priority)).label("weighted_load"),
    ]


def open_by_assignee(*, filters: TaskFilters, now: datetime | None = None) -> pd.DataFrame:
    """Open tasks (New, In Progress, On Hold) per assignee, split by priority, with how many are overdue and the weighted load.

    Weighted load adds up the open tasks weighted by priority: Low 1, Medium 2, High 3,
    Critical 5. Overdue means open and past its due date. Busiest assignee first.
    """
    statement = (
        select(Task.assigned_to, User.full_name.label("assignee_name"), User.department, *_load_columns(now_or(now)))
        .join(User, User.id == Task.assigned_to)
        .where(*open_task_conditions(filters))
        .group_by(Task.assigned_to, User.full_name, User.department)
        .order_by(func.sum(case(PRIORITY_WEIGHTS, value=Task.priority)).desc(), User.full_name, Task.assigned_to)
    )
    return frame(statement)


def open_by_department(*, filters: TaskFilters, now: datetime | None = None) -> pd.DataFrame:
    """Open tasks per department of their assignee, split by priority, with overdue, weighted load and load per assignee.

    Load per assignee is the department's weighted load divided by the people holding its open
    tasks. Unassigned tasks belong to no department (see the unassigned queue).
    """
    statement = (
        select(User.department, *_load_columns(now_or(now)), func.count(distinct(Task.assigned_to)).label("assignees"))
        .join(User, User.id == Task.assigned_to)
        .where(*open_task_conditions(filters))
        .group_by(User.department)
        .order_by(User.department)
    )
    departments = frame(statement)
    departments.loc[:, "load_per_assignee"] = (departments["weighted_load"] / departments["assignees"]).round(2)
    return departments


def unassigned_queue(*, filters: TaskFilters, now: datetime | None = None) -> dict:
    """The unassigned queue: open tasks nobody holds, by priority, how many are overdue, and when the oldest was created."""
    statement = select(*_load_columns(now_or(now)), func.min(Task.created_at).label("oldest_created_at")).where(
        Task.assigned_to.is_(None), *open_task_conditions(filters)
    )
    row = one_row(statement)
    counts = {key: int(row[key] or 0) for key in [p.value for p in Priority] + ["open", "overdue", "weighted_load"]}
    return {**counts, "oldest_created_at": row["oldest_created_at"]}

