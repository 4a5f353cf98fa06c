"""TaskHistory: every change leaves its row, in the same transaction as the change."""
import enum
import uuid
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select

from db import session
from db.models import ChangeType, Task, TaskHistory, User
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
    """The combined history of a case's tasks, newest first (keyset on changed_at, id)."""
    statement = select(TaskHistory).join(Task, Task.id == TaskHistory.task_id).where(Task.case_id == case_id)
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
