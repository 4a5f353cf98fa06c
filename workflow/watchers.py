"""Watchers: users subscribed to a task's changes, or to those of every task of a case."""
import uuid

from sqlalchemy import delete, select

from db import session
from db.models import CaseWatcher, TaskWatcher, User
from db.types import utcnow
from domain import rules
from domain.errors import Forbidden, ValidationFailed
from workflow.cases import get_case
from workflow.tasks import get_task


def _target(actor: User, user_id: uuid.UUID | None) -> uuid.UUID:
    if user_id is None or user_id == actor.id:
        return actor.id
    if not rules.can_manage_watchers_of_others(actor):
        raise Forbidden("you may only watch or unwatch for yourself")
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise ValidationFailed("no such active user", [{"field": "user_id", "message": "must be an active user"}])
    return user_id


def watch(*, actor: User, task_id: uuid.UUID, user_id: uuid.UUID | None = None) -> list[uuid.UUID]:
    """Subscribe a user (yourself by default) to a task; watching twice is harmless."""
    get_task(task_id=task_id)
    target = _target(actor, user_id)
    if session.get(TaskWatcher, (task_id, target)) is None:
        session.add(TaskWatcher(task_id=task_id, user_id=target, created_at=utcnow()))
        session.commit()
    return list_watchers(task_id=task_id)


def unwatch(*, actor: User, task_id: uuid.UUID, user_id: uuid.UUID | None = None) -> None:
    """Unsubscribe a user (yourself by default); unwatching a task you do not watch is harmless."""
    get_task(task_id=task_id)
    target = _target(actor, user_id)
    session.execute(delete(TaskWatcher).where(TaskWatcher.task_id == task_id, TaskWatcher.user_id == target))
    session.commit()


def list_watchers(*, task_id: uuid.UUID) -> list[uuid.UUID]:
    """User ids watching a task."""
    return list(
        session.scalars(
            select(TaskWatcher.user_id).where(TaskWatcher.task_id == task_id).order_by(TaskWatcher.created_at)
        )
    )


def watch_case(*, actor: User, case_id: uuid.UUID, user_id: uuid.UUID | None = None) -> list[uuid.UUID]:
    """Subscribe a user (yourself by default) to a case's tasks; watching twice is harmless."""
    get_case(case_id=case_id)
    target = _target(actor, user_id)
    if session.get(CaseWatcher, (case_id, target)) is None:
        session.add(CaseWatcher(case_id=case_id, user_id=target, created_at=utcnow()))
        session.commit()
    return list_case_watchers(case_id=case_id)


def unwatch_case(*, actor: User, case_id: uuid.UUID, user_id: uuid.UUID | None = None) -> None:
    """Unsubscribe a user (yourself by default) from a case; unwatching a case you do not watch is harmless."""
    get_case(case_id=case_id)
    target = _target(actor, user_id)
    session.execute(delete(CaseWatcher).where(CaseWatcher.case_id == case_id, CaseWatcher.user_id == target))
    session.commit()


def list_case_watchers(*, case_id: uuid.UUID) -> list[uuid.UUID]:
    """User ids watching a case."""
    return list(
        session.scalars(
            select(CaseWatcher.user_id).where(CaseWatcher.case_id == case_id).order_by(CaseWatcher.created_at)
        )
    )


def is_watching_case(*, user_id: uuid.UUID, case_id: uuid.UUID) -> bool:
    """Whether the user watches the case."""
    return session.get(CaseWatcher, (case_id, user_id)) is not None
