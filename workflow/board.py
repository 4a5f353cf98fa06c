"""The task board: a column's cards a page at a time (grouped in swimlanes or not), and its WIP limits per department."""
from dataclasses import dataclass, replace

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from db import session
from db.models import BoardWipLimit, Priority, Task, TaskStatus, User
from db.pagination import SortKey, decode_cursor, paginate, text_key
from db.types import utcnow
from domain import rules
from domain.board import ALL_DEPARTMENTS, effective_limits, validate_department, validate_wip_limits
from domain.errors import Conflict, Forbidden
from domain.filters import TaskFilters
from reports.filters import filtered_statement
from workflow import audit, tasks

UNASSIGNED_LANE = "Unassigned"
#: Cursor labels of the orders the board reads a column in, one per swimlane choice.
_SORTS = {"none": "due_date", "priority": "-priority", "assignee": "board-assignee"}
#: The assignee joined under an alias: the department filter has its own subquery on users.
_ASSIGNEE = aliased(User, name="assignee")
#: Cards grouped by assignee: by the assignee's name (unassigned last), then by id.
_ASSIGNEE_KEY = SortKey(_ASSIGNEE.full_name, text_key(_ASSIGNEE.full_name).load, nullable=True)
_PRIORITIES = list(Priority)


@dataclass(frozen=True)
class ColumnPage:
    """A page of a column's cards, each with its swimlane (None without), and the lane the page continues."""

    items: list
    lanes: list
    next_cursor: str | None
    lane_before: str | None


def _lane_of(lanes: str, row) -> str | None:
    if lanes == "priority":
        return row.priority.value
    if lanes == "assignee":
        # Unassigned rows come in paginate's second phase, which reads no sort key.
        return row._mapping.get("sort_key") or UNASSIGNED_LANE
    return None


def _lane_before(lanes: str, cursor: str | None) -> str | None:
    """The lane of the last card before `cursor`, read from the cursor's sort value (no query)."""
    if cursor is None or lanes == "none":
        return None
    phase, value, _ = decode_cursor(cursor, _SORTS[lanes])
    if lanes == "assignee":
        return UNASSIGNED_LANE if phase == 1 else value
    if not isinstance(value, int) or not 0 <= value < len(_PRIORITIES):
        return None
    return _PRIORITIES[value].value


def column_page(*, filters: TaskFilters, status: TaskStatus, lanes: str, cursor: str | None, limit: int) -> ColumnPage:
    """One page of a column: by due date; or grouped by priority (highest first) or by assignee (by name)."""
    filters = replace(filters, status=status)
    lane_before = _lane_before(lanes, cursor)
    if lanes == "assignee":
        # The name is read with each row (its `sort_key`): no second query for the lane headers.
        statement = filtered_statement(filters).outerjoin(_ASSIGNEE, _ASSIGNEE.id == Task.assigned_to)
        page = paginate(session(), statement, id_column=Task.id, key=_ASSIGNEE_KEY,
                        sort=_SORTS[lanes], descending=False, limit=limit, cursor=cursor, entities=False)
    else:
        page = tasks.list_tasks(filters=filters, sort=_SORTS[lanes], limit=limit, cursor=cursor)
    return ColumnPage(page.items, [_lane_of(lanes, row) for row in page.items], page.next_cursor, lane_before)


def departments() -> list[str]:
    """The departments people work in, by name: the board's department views."""
    found = session.scalars(select(User.department).where(User.department.is_not(None), User.department != "").distinct())
    return sorted(found)


def _stored(department: str) -> dict[TaskStatus, int]:
    rows = session.execute(select(BoardWipLimit.status, BoardWipLimit.wip_limit).where(BoardWipLimit.department == department))
    return dict(rows.all())


def wip_settings(*, department: str) -> tuple[dict[TaskStatus, int], dict[TaskStatus, int]]:
    """(the department's own limits, the default's): what the settings form shows."""
    department = validate_department(department)
    default = _stored(ALL_DEPARTMENTS)
    return (default if department == ALL_DEPARTMENTS else _stored(department)), default


def wip_limits(*, department: str) -> dict[TaskStatus, int | None]:
    """The limit of each column with one on this department's board ("" the whole board: the default's)."""
    own, default = wip_settings(department=department)
    return effective_limits(own, default)


def wip_counts(*, department: str) -> dict[str, int]:
    """Live tasks per column of a department's board (whatever else the view filters): what a limit is held to."""
    return tasks.status_counts(filters=TaskFilters(department=department or None))


def set_wip_limits(*, actor: User, department: str, limits: dict) -> dict[TaskStatus, int]:
    """Set (or with empty, clear) the limits of the columns given for a department, "" for the default (Managers
    and Admins); the columns left out keep theirs. Returns the department's own limits."""
    if not rules.can_set_wip_limits(actor):
        raise Forbidden("only managers and admins may set WIP limits")
    department = validate_department(department)
    changes = validate_wip_limits(limits)
    now = utcnow()
    before = _stored(department)
    for status, limit in changes.items():
        if limit is None:
            session.execute(delete(BoardWipLimit).where(BoardWipLimit.department == department, BoardWipLimit.status == status))
            continue
        row = session.get(BoardWipLimit, (department, status))
        if row is None:
            row = BoardWipLimit(department=department, status=status)
            session.add(row)
        row.wip_limit, row.updated_at, row.updated_by = limit, now, actor.id
    after = {**before, **changes}
    audit.record(actor=actor, action="board.wip_limits_changed", target_type="department", target_id=department,
                 before={s.value: before.get(s) for s in changes}, after={s.value: after.get(s) for s in changes})
    try:
        session.commit()
    except IntegrityError:  # another supervisor set the same column's first limit at the same moment
        session.rollback()
        raise Conflict("the WIP limits were changed by someone else; reload them and try again") from None
    return _stored(department)
