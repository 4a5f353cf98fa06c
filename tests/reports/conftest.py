"""Hand-built task histories with exact timestamps, for metrics with known answers."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from db import session
from db.models import ChangeType, Priority, Role, Task, TaskHistory, TaskStatus
from db.handovers import mark_hand_backs
from db.status_intervals import rebuild
from db.types import uuid7
from domain.filters import TaskFilters
from reports import sla

#: A Monday, 09:00 UTC: every history in these tests is told in hours after it.
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


@pytest.fixture
def marker():
    """A tag only this test's tasks carry, so a metric sees nothing else."""
    return f"m{uuid.uuid4().hex[:10]}"


@pytest.fixture
def only(marker):
    """TaskFilters narrowed to this test's tasks."""

    def filters(**fields) -> TaskFilters:
        return TaskFilters(tag=marker, **fields)

    return filters


class HistoryBuilder:
    """Writes tasks and their history rows straight to the database (tests only)."""

    def __init__(self, creator, marker):
        self.creator = creator
        self.marker = marker

    def task(
        self,
        moves=(),
        *,
        created: float = 0,
        priority: Priority = Priority.MEDIUM,
        assigned_to=None,
        tags=(),
        due: float | None = None,
        title: str = "built task",
    ) -> Task:
        """A task created `created` hours after T0, then moved: [(hours after T0, status), ...] in order."""
        status = TaskStatus(moves[-1][1]) if moves else TaskStatus.NEW
        task = Task(
            id=uuid7(), title=title, description="", status=status, priority=priority,
            due_date=at(due) if due is not None else None, assigned_to=getattr(assigned_to, "id", assigned_to),
            created_by=self.creator.id, created_at=at(created), updated_at=at(created),
            tags=[self.marker, *tags], version=1,
        )
        session.add(task)
        session.flush()
        snapshot = {"status": "New", "priority": priority.value,
                    "assigned_to": str(task.assigned_to) if task.assigned_to else None}
        self.row(task, created, ChangeType.CREATION, None, snapshot)
        previous = TaskStatus.NEW.value
        for hours, target in moves:
            self.row(task, hours, ChangeType.STATUS_CHANGE, {"status": previous}, {"status": TaskStatus(target).value})
            previous = TaskStatus(target).value
        return task

    def row(self, task, hours, change_type, old, new, row_id=None) -> TaskHistory:
        entry = TaskHistory(
            id=row_id or uuid7(), task_id=task.id, changed_by=self.creator.id, change_type=change_type,
            old_value=old, new_value=new, changed_at=at(hours),
        )
        session.add(entry)
        session.flush()
        # The workflow keeps the status intervals with each change; rows written by hand derive them.
        rebuild(session.connection(), [task.id])
        mark_hand_backs(session.connection(), [task.id])
        session.execute(*sla.due_update([task.id]))
        return entry

    def assign(self, task, hours, user, previous=None) -> None:
        """An Assignment row (and the task's current assignee) at `hours`."""
        new = str(user.id) if user is not None else None
        old = str(previous.id) if previous is not None else None
        self.row(task, hours, ChangeType.ASSIGNMENT, {"assigned_to": old}, {"assigned_to": new})
        task.assigned_to = user.id if user is not None else None
        session.flush()


@pytest.fixture
def build(ctx, make_user, marker):
    return HistoryBuilder(make_user(Role.MANAGER), marker)


@pytest.fixture
def count_statements(ctx):
    """Run a function and return how many SQL statements it sent."""

    def run(function, *args, **kwargs) -> int:
        statements = []

        def remember(_connection, _cursor, statement, *_rest):
            statements.append(statement)

        connection = session.connection()
        event.listen(connection, "before_cursor_execute", remember)
        try:
            function(*args, **kwargs)
        finally:
            event.remove(connection, "before_cursor_execute", remember)
        return len(statements)

    return run
