"""Comments on tasks, oldest first."""
import uuid

from sqlalchemy import select

from db import session
from db.models import TaskComment, User
from db.pagination import Page, datetime_key, paginate
from db.types import utcnow, uuid7
from domain import rules
from domain.errors import Forbidden
from notifications import events, webhooks
from workflow.tasks import get_task


def add_comment(*, actor: User, task_id: uuid.UUID, body: str) -> TaskComment:
    """Comment on a live task."""
    if not rules.can_comment(actor):
        raise Forbidden("your role cannot comment")
    task = get_task(task_id=task_id)
    comment = TaskComment(id=uuid7(), task_id=task_id, author_id=actor.id, body=body, created_at=utcnow())
    session.add(comment)
    events.commented(actor=actor, task=task, body=body, at=comment.created_at)
    webhooks.emit(event="task.commented", at=comment.created_at, data={
        "id": comment.id, "task_id": task.id, "author_id": actor.id, "body": body, "created_at": comment.created_at,
        "task": webhooks.task_data(task),
    })
    session.commit()
    return comment


def list_comments(*, task_id: uuid.UUID, limit: int, cursor: str | None) -> Page:
    """A live task's comments, oldest first."""
    get_task(task_id=task_id)
    return paginate(
        session(),
        select(TaskComment).where(TaskComment.task_id == task_id),
        id_column=TaskComment.id,
        key=datetime_key(TaskComment.created_at),
        sort="created_at",
        descending=False,
        limit=limit,
        cursor=cursor,
    )
