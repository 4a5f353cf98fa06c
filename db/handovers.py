"""Hand-backs: an assignment that gives a task back to someone who held it before (rework's "ping-pong").

Kept as a flag on the Assignment history row, set by the workflow when it writes the row and
derived in bulk for loads and repairs, so the rework figure counts flagged rows off an index
instead of comparing every assignment with the task's earlier ones.
"""
import functools
import uuid
from collections.abc import Iterable

from sqlalchemy import Connection, and_, bindparam, exists, or_, update
from sqlalchemy.orm import aliased

from db.models import ChangeType, TaskHistory


@functools.cache
def _statement(of_tasks: bool):
    row, earlier = TaskHistory, aliased(TaskHistory)
    holder = row.new_value["assigned_to"].as_string()
    held_before = exists().where(
        earlier.task_id == row.task_id,
        earlier.change_type.in_((ChangeType.CREATION, ChangeType.ASSIGNMENT)),
        or_(earlier.changed_at < row.changed_at, and_(earlier.changed_at == row.changed_at, earlier.id < row.id)),
        earlier.new_value["assigned_to"].as_string() == holder,
    )
    scope = [row.task_id.in_(bindparam("task_ids", expanding=True))] if of_tasks else []
    return (
        update(row)
        .where(row.change_type == ChangeType.ASSIGNMENT, row.returned_to_holder.is_(False), holder.is_not(None),
               held_before, *scope)
        .values(returned_to_holder=True)
        .execution_options(synchronize_session=False)
    )


def mark_hand_backs(connection: Connection, task_ids: Iterable[uuid.UUID] | None = None) -> None:
    """Flag the Assignment rows (of every task, or of `task_ids`) whose new holder held the task before."""
    if task_ids is None:
        connection.execute(_statement(False))
    else:
        connection.execute(_statement(True), {"task_ids": list(task_ids)})
