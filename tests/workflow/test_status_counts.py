"""Counts per status for the board's filters: one GROUP BY, zeros included, deleted tasks left out."""
import uuid

from sqlalchemy import event

from db import session
from db.models import Priority, Role, TaskStatus
from workflow import tasks, users


def test_status_counts_follow_the_filters(ctx, make_user):
    manager, agent = make_user(Role.MANAGER), make_user(Role.AGENT)
    marker = uuid.uuid4().hex
    mine = tasks.create_task(actor=agent, title=f"{marker} mine", assigned_to=agent.id, priority=Priority.HIGH, tags=["vip"])
    tasks.create_task(actor=agent, title=f"{marker} also mine", assigned_to=agent.id)
    tasks.create_task(actor=manager, title=f"{marker} unassigned", tags=["vip"])
    gone = tasks.create_task(actor=manager, title=f"{marker} deleted")
    tasks.change_status(actor=agent, task_id=mine.id, status=TaskStatus.IN_PROGRESS)
    tasks.delete_task(actor=manager, task_id=gone.id)

    def counts(**filters):
        return tasks.status_counts(filters=tasks.TaskFilters(q=marker, **filters))

    assert counts() == {"New": 2, "In Progress": 1, "On Hold": 0, "Completed": 0, "Cancelled": 0}
    assert counts(assigned_to=agent.id) == {"New": 1, "In Progress": 1, "On Hold": 0, "Completed": 0, "Cancelled": 0}
    assert counts(assigned_to=tasks.UNASSIGNED)["New"] == 1
    assert counts(priority=Priority.HIGH) == {"New": 0, "In Progress": 1, "On Hold": 0, "Completed": 0, "Cancelled": 0}
    assert counts(tag="vip") == {"New": 1, "In Progress": 1, "On Hold": 0, "Completed": 0, "Cancelled": 0}


def test_status_counts_are_one_grouped_query(ctx):
    statements = []

    def remember(_connection, _cursor, statement, *_rest):
        statements.append(statement)

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", remember)
    try:
        tasks.status_counts(filters=tasks.TaskFilters(q="anything"))
    finally:
        event.remove(connection, "before_cursor_execute", remember)
    assert len(statements) == 1 and "GROUP BY" in statements[0] and "count(" in statements[0].lower()


def test_full_names_by_id(ctx, make_user):
    first, second = make_user(Role.AGENT, full_name="Ada Agent"), make_user(Role.VIEWER, full_name="Vic Viewer")
    assert users.full_names(user_ids={first.id, second.id}) == {first.id: "Ada Agent", second.id: "Vic Viewer"}
    assert users.full_names(user_ids=set()) == {}
