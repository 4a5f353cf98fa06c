"""TaskHistory: every change leaves its row, in the same transaction as the change."""
import enum
import uuid
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import String, and_, func, literal_column, or_, select, tuple_

from db import session
from db.models import INTO_CASE, OUT_OF_CASE, ChangeType, Task, TaskHistory, User
from db.pagination import Page, datetime_key, paginate

#: The task fields a history snapshot records.
SNAPSHOT_FIELDS = (
    "title",
    "description",
    "status",
    "priority",
    "due_date",
    "assigned_to",
    "case_id",
    "tags",
)


def jsonable(value: Any) -> Any:
    """A value as it is stored in old_value / new_value JSON."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(jsonable(key)): jsonable(item) for key, item in value.items()}
    return value


def snapshot(task: Task) -> dict[str, Any]:
    """The recorded fields of a task as JSON."""
    return {field: jsonable(getattr(task, field)) for field in SNAPSHOT_FIELDS}


def record(
    task: Task,
    actor: User,
    change_type: ChangeType,
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
    at: datetime,
) -> TaskHistory:
    """Add one history row to the current transaction."""
    entry = TaskHistory(
        task_id=task.id,
        changed_by=actor.id,
        change_type=change_type,
        old_value=old,
        new_value=new,
        changed_at=at,
    )
    session.add(entry)
    return entry


def list_history(*, task_id: uuid.UUID, limit: int, cursor: str | None) -> Page:
    """A task's history, oldest first (ties broken by id, as the analytics do)."""
    statement = select(TaskHistory).where(TaskHistory.task_id == task_id)
    return paginate(
        session(),
        statement,
        id_column=TaskHistory.id,
        key=datetime_key(TaskHistory.changed_at),
        sort="changed_at",
        descending=False,
        limit=limit,
        cursor=cursor,
    )


def list_case_history(*, case_id: uuid.UUID, limit: int, cursor: str | None) -> Page:
    """The entries of a case's tasks while they were in it, newest first (keyset on changed_at, id).

    A stay runs from the entry that put the task in the case (its creation there, or a move) to the one that
    took it out, both included: a task moved out keeps its past here, and its later life elsewhere is not shown.
    """
    # The case an entry put its task into or took it out of, written as the indexes read it (db.models): the
    # planners match an index expression by its text.
    case, into, out_of = str(case_id), literal_column(INTO_CASE.text, String), literal_column(OUT_OF_CASE.text, String)
    # The few entries that moved a task into or out of the case (indexed), each with the task's next one:
    # the moves of a task alternate, so an entry that moved it in is followed by the one that took it out.
    in_order = {"partition_by": TaskHistory.task_id, "order_by": (TaskHistory.changed_at, TaskHistory.id)}
    moves = (
        select(
            TaskHistory.task_id,
            (into == case).label("moved_in"),
            TaskHistory.changed_at.label("began_at"),
            TaskHistory.id.label("began_id"),
            func.lead(TaskHistory.changed_at).over(**in_order).label("ended_at"),
            func.lead(TaskHistory.id).over(**in_order).label("ended_id"),
        )
        .where(or_(into == case, out_of == case))
        .subquery("moves")
    )
    entry = tuple_(TaskHistory.changed_at, TaskHistory.id)
    during_stay = and_(
        TaskHistory.task_id == moves.c.task_id,
        entry >= tuple_(moves.c.began_at, moves.c.began_id),
        or_(moves.c.ended_at.is_(None), entry <= tuple_(moves.c.ended_at, moves.c.ended_id)),
    )
    statement = select(TaskHistory).join(moves, during_stay).where(moves.c.moved_in)
    return paginate(
        session(),
        statement,
        id_column=TaskHistory.id,
        key=datetime_key(TaskHistory.changed_at),
        sort="-changed_at",
        descending=True,
        limit=limit,
        cursor=cursor,
    )
