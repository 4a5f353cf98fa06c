"""Notification events: who hears of a task change, on which channels, and the in-app notices.

The service functions in workflow/ call `task_assigned`, `status_changed` and `commented`
before they commit, so the notices share the change's transaction: a refused or rolled-back
change leaves none. Each event is first turned into deliveries (recipient, text, channels);
the in-app writer is one consumer of them; the outbox is the other: it adds each delivery's email
and SMS messages and one SNS publication of the event, in the same transaction, for the
dispatcher to deliver after the commit.
"""
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import inspect, select

from db import session
from db.models import CaseWatcher, Notification, NotificationType, Role, Task, TaskStatus, TaskWatcher, User
from db.types import utcnow, uuid7
from domain import rules, times
from notifications import outbox, preferences


@dataclass(frozen=True)
class Delivery:
    """One recipient's notice of one event, with the channels they take that type on."""

    user_id: uuid.UUID
    type: NotificationType
    content: str
    task_id: uuid.UUID
    channels: frozenset[str]


def deliveries_of(kind: NotificationType, task_id: uuid.UUID, contents: dict[uuid.UUID, str]) -> list[Delivery]:
    """Deliveries for `contents` (recipient -> text): only active users, on the channels they chose."""
    wanted = preferences.enabled_channels(user_ids=set(contents), kind=kind)
    return [
        Delivery(user_id=user_id, type=kind, content=content, task_id=task_id, channels=wanted[user_id])
        for user_id, content in contents.items()
        if wanted.get(user_id)
    ]


def _deliveries(
    kind: NotificationType, actor: User | None, task: Task, contents: dict[uuid.UUID, str]
) -> list[Delivery]:
    """Deliveries for `contents`, never to the actor."""
    if actor is not None:
        contents.pop(actor.id, None)
    return deliveries_of(kind, task.id, contents)


def _watchers(task: Task) -> list[uuid.UUID]:
    """The creator, the assignee, whoever watches the task and whoever watches its case, each once."""
    rows = list(session.scalars(
        select(TaskWatcher.user_id).where(TaskWatcher.task_id == task.id).order_by(TaskWatcher.created_at)
    ))
    if task.case_id is not None:
        rows += session.scalars(
            select(CaseWatcher.user_id).where(CaseWatcher.case_id == task.case_id).order_by(CaseWatcher.created_at)
        )
    # dict.fromkeys: deduplicated, first mention kept in order.
    return list(dict.fromkeys(user_id for user_id in (task.created_by, task.assigned_to, *rows) if user_id is not None))


def _mentioned(text: str) -> list[uuid.UUID]:
    """Users `@mentioned` in a text (unknown names are ignored)."""
    names = rules.mentioned_usernames(text)
    if not names:
        return []
    return list(session.scalars(select(User.id).where(User.username.in_(names)).order_by(User.username)))


def assignment_deliveries(*, actor: User, task: Task, reason: str | None = None) -> list[Delivery]:
    """The new assignee hears that the task is theirs (`reason`: given by auto-assignment, and why)."""
    if task.assigned_to is None:
        return []
    text = (f"'{task.title}' was assigned to you automatically ({reason})" if reason is not None
            else f"{actor.full_name} assigned you '{task.title}'")
    contents = {task.assigned_to: text}
    return _deliveries(NotificationType.TASK_ASSIGNMENT, actor, task, contents)


def status_change_deliveries(*, actor: User, task: Task, old_status: TaskStatus) -> list[Delivery]:
    """The creator, assignee and watchers hear of a move."""
    content = f"{actor.full_name} moved '{task.title}' from {old_status.value} to {task.status.value}"
    contents = dict.fromkeys(_watchers(task), content)
    return _deliveries(NotificationType.STATUS_CHANGE, actor, task, contents)


def comment_deliveries(*, actor: User, task: Task, body: str) -> list[Delivery]:
    """The creator, assignee and watchers hear of a comment; whoever it mentions hears that instead."""
    contents = dict.fromkeys(_watchers(task), f"{actor.full_name} commented on '{task.title}'")
    for user_id in _mentioned(body):
        contents[user_id] = f"{actor.full_name} mentioned you on '{task.title}'"
    return _deliveries(NotificationType.COMMENT, actor, task, contents)


def due_date_deliveries(*, task: Task, overdue: bool, at: datetime | None = None) -> list[Delivery]:
    """The assignee (else the creator) hears that the task is due soon or overdue, and when, on their own clock."""
    recipient = task.assigned_to or task.created_by
    reader = session.get(User, recipient)
    due = f"{times.moment(task.due_date, reader, at)} {times.zone_label(reader)}"
    text = f"'{task.title}' is overdue: it was due {due}" if overdue else f"'{task.title}' is due within 24 hours, at {due}"
    return _deliveries(NotificationType.DUE_DATE, None, task, {recipient: text})


def write_in_app(deliveries: list[Delivery], at: datetime | None = None) -> list[Notification]:
    """Add an unread in-app notification per delivery that wants one (the caller commits)."""
    at = at or utcnow()
    notifications = [
        Notification(
            id=uuid7(), user_id=d.user_id, content=d.content, type=d.type, read=False,
            created_at=at, related_task_id=d.task_id,
        )
        for d in deliveries
        if "in_app" in d.channels
    ]
    session.add_all(notifications)
    return notifications


def _publish(deliveries: list[Delivery], task: Task, at: datetime | None, actor: User | None) -> None:
    """Hand an event's deliveries to each channel: in-app now, the others through the outbox."""
    if deliveries and inspect(task).pending:
        # No relationship orders the flush, so a new task's row goes first: its notices refer to it.
        session.flush()
    write_in_app(deliveries, at)
    outbox.enqueue(deliveries=deliveries, actor_id=actor.id if actor else None, task=task, at=at)


def _reading():
    """Read recipients without flushing the pending change."""
    # A lost version race must surface at the service's own commit, where it becomes a version error.
    return session.no_autoflush


def task_assigned(*, actor: User, task: Task, at: datetime | None = None, reason: str | None = None) -> None:
    """A task was given to someone (at creation or later; `reason`: automatically); call before the change commits."""
    with _reading():
        deliveries = assignment_deliveries(actor=actor, task=task, reason=reason)
    _publish(deliveries, task, at, actor)


def status_changed(*, actor: User, task: Task, old_status: TaskStatus, at: datetime | None = None) -> None:
    """A task moved from `old_status` to its current status; call before the change commits."""
    with _reading():
        deliveries = status_change_deliveries(actor=actor, task=task, old_status=old_status)
    _publish(deliveries, task, at, actor)


def commented(*, actor: User, task: Task, body: str, at: datetime | None = None) -> None:
    """Someone commented on a task; call before the comment commits."""
    with _reading():
        deliveries = comment_deliveries(actor=actor, task=task, body=body)
    _publish(deliveries, task, at, actor)


def due_date_reached(*, task: Task, overdue: bool, at: datetime | None = None) -> None:
    """A task is due within 24 hours or overdue; the caller records the reminder and commits."""
    with _reading():
        deliveries = due_date_deliveries(task=task, overdue=overdue, at=at)
    _publish(deliveries, task, at, None)


# --- SLA escalations (workflow/escalations.py decides when; these say who hears it and how) ---------


def target_words(minutes: int, business_hours: bool) -> str:
    """A resolution target in words: "24 h", "90 min", "8 h business-hours"."""
    amount = f"{minutes} min" if minutes < 60 else f"{minutes / 60:g} h"
    return f"{amount} business-hours" if business_hours else amount


def department_managers(task: Task) -> list[uuid.UUID]:
    """The active Managers of the task's department (its assignee's; the creator's while unassigned), or
    every active Manager when that department has none: a breach is never told to nobody."""
    with _reading():
        holder = session.get(User, task.assigned_to or task.created_by)
        department = holder.department if holder is not None else None
        managers = select(User.id).where(User.role == Role.MANAGER, User.is_active.is_(True)).order_by(User.username)
        found = list(session.scalars(managers.where(User.department == department))) if department else []
        return found or list(session.scalars(managers))


def sla_warning_deliveries(*, task: Task, percent: int, target_minutes: int, business_hours: bool) -> list[Delivery]:
    """The assignee hears that the task has used `percent` % of its target (an unassigned task: nobody)."""
    if task.assigned_to is None:
        return []
    text = f"SLA warning: '{task.title}' has used {percent} % of its {target_words(target_minutes, business_hours)} target"
    return deliveries_of(NotificationType.SLA_WARNING, task.id, {task.assigned_to: text})


def sla_breach_deliveries(*, task: Task, managers: list[uuid.UUID], target_minutes: int,
                          business_hours: bool) -> list[Delivery]:
    """The assignee and the managers hear that the task is past its target."""
    target = target_words(target_minutes, business_hours)
    holder = session.get(User, task.assigned_to) if task.assigned_to is not None else None
    held = f"assigned to {holder.full_name}" if holder is not None else "unassigned"
    contents = dict.fromkeys(managers, f"SLA breached: '{task.title}' ({held}) is past its {target} target")
    if task.assigned_to is not None:
        contents[task.assigned_to] = f"SLA breached: '{task.title}' is past its {target} target"
    return deliveries_of(NotificationType.SLA_BREACH, task.id, contents)


def sla_warning(*, task: Task, percent: int, target_minutes: int, business_hours: bool,
                at: datetime | None = None) -> list[Delivery]:
    """A task's SLA clock reached the warning share of its target; the caller records the step and commits."""
    with _reading():
        deliveries = sla_warning_deliveries(task=task, percent=percent, target_minutes=target_minutes,
                                            business_hours=business_hours)
    _publish(deliveries, task, at, None)
    return deliveries


def sla_breached(*, task: Task, managers: list[uuid.UUID], target_minutes: int, business_hours: bool,
                 at: datetime | None = None) -> list[Delivery]:
    """A task's SLA clock passed its target; the caller records the step and commits."""
    with _reading():
        deliveries = sla_breach_deliveries(task=task, managers=managers, target_minutes=target_minutes,
                                           business_hours=business_hours)
    _publish(deliveries, task, at, None)
    return deliveries
