"""The per-status live task counters, rebuilt from the tasks themselves."""
from sqlalchemy import Connection, delete, func, insert, select

from db.models import Task, TaskStatus, TaskStatusCount


def recount_task_statuses(connection: Connection) -> None:
    """Set every status's counter to its live task count (after bulk loads that bypass the workflow)."""
    live = dict(
        connection.execute(
            select(Task.status, func.count()).where(Task.deleted_at.is_(None)).group_by(Task.status)
        ).all()
    )
    connection.execute(delete(TaskStatusCount))
    connection.execute(
        insert(TaskStatusCount), [{"status": status, "live": live.get(status, 0)} for status in TaskStatus]
    )
