"""Due-date reminders: tasks due within 24 hours and overdue open tasks, each threshold once per task."""
import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from db import session
from db.models import DueReminder, Task
from db.types import utcnow
from domain.rules import OPEN_STATUSES
from notifications import events

log = logging.getLogger(__name__)

DUE_SOON = timedelta(hours=24)


def remind(*, now: datetime | None = None) -> int:
    """Notify the assignee (else the creator) of each open task due soon or overdue, once per threshold; returns how many."""
    now = now or utcnow()
    candidates = list(session.scalars(
        select(Task)
        .where(
            Task.deleted_at.is_(None), Task.status.in_(OPEN_STATUSES), Task.due_date.is_not(None),
            Task.due_date <= now + DUE_SOON,
        )
        .order_by(Task.due_date, Task.id)
    ))
    sent = {
        (row.task_id, row.threshold, row.due_date)
        for row in session.scalars(select(DueReminder).where(DueReminder.task_id.in_([t.id for t in candidates])))
    } if candidates else set()
    session.commit()
    count = 0
    for task in candidates:
        overdue = task.due_date <= now
        threshold = "overdue" if overdue else "due_soon"
        if (task.id, threshold, task.due_date) in sent:
            continue
        # The reminder's row and its notices commit together; the key refuses a second one.
        session.add(DueReminder(task_id=task.id, threshold=threshold, due_date=task.due_date, sent_at=now))
        events.due_date_reached(task=task, overdue=overdue, at=now)
        try:
            session.commit()
        except IntegrityError:
            # Another run sent this one between our read and our write.
            session.rollback()
            continue
        count += 1
    log.info("sent %d due-date reminders", count)
    return count
