"""The demo generator: right counts, histories that replay through the transition table, its CLI."""
import uuid
from datetime import datetime, timedelta, timezone
from itertools import groupby

import pytest
from sqlalchemy import func, select, text

import db
from app import create_app
from auth.passwords import verify_password
from db import make_engine
from db.status_intervals import rebuild as rebuild_status_intervals
from db.models import (
    AuditEvent,
    Case,
    CaseStatus,
    ChangeType,
    Notification,
    Task,
    TaskComment,
    TaskHistory,
    TaskStatus,
    TaskStatusCount,
    TaskStatusInterval,
    TaskWatcher,
    User,
)
from domain.filters import TaskFilters
from domain.rules import OPEN_STATUSES, TRANSITIONS
from jobs.demo import DEMO_PASSWORD, DEMO_USERS, OTHER_MANAGERS, TASKS_PER_CASE, ensure_demo_data, generate
from reports import flow, sla
from tests.conftest import config_for
from workflow import users
from workflow.history import SNAPSHOT_FIELDS

TASKS = 300
AGENTS = 6
TABLES = {
    "users": User,
    "cases": Case,
    "tasks": Task,
    "task_history": TaskHistory,
    "task_comments": TaskComment,
    "task_watchers": TaskWatcher,
    "notifications": Notification,
}
OPEN = {TaskStatus.NEW, TaskStatus.IN_PROGRESS, TaskStatus.ON_HOLD}


@pytest.fixture(scope="module")
def database_url(fresh_database):
    """This module's own database (not the shared one the other tests roll back in)."""
    return fresh_database("wm_demo")


@pytest.fixture(scope="module")
def demo(database_url):
    """The engine of a database holding TASKS generated tasks, and generate()'s counts."""
    engine = make_engine(database_url)
    # Several chunks: on PostgreSQL they are simulated by worker processes.
    counts = generate(engine, tasks=TASKS, seed=7, agents=AGENTS, chunk_tasks=TASKS // 3)
    with engine.connect() as connection:
        yield connection, counts
    engine.dispose()


def test_counts_are_what_was_written(demo):
    connection, counts = demo
    for name, model in TABLES.items():
        assert connection.scalar(select(func.count()).select_from(model)) == counts[name], name
    assert counts["tasks"] == TASKS
    assert counts["cases"] == TASKS // TASKS_PER_CASE
    assert counts["users"] == len(DEMO_USERS) + len(OTHER_MANAGERS) + AGENTS
    assert min(counts.values()) > 0


def test_demo_users_sign_in_with_the_demo_password(demo):
    connection, _ = demo
    users = {user.username: user for user in connection.execute(select(User))}
    for username, _name, role, _department, _phone in DEMO_USERS:
        assert users[username].role == role
        assert users[username].email == f"{username}@example.com"
    assert verify_password(users["agent"].password_hash, DEMO_PASSWORD)
    assert len({user.password_hash for user in users.values()}) == 1


def test_every_history_starts_with_exactly_one_creation_row(demo):
    connection, _ = demo
    tasks = {task.id: task for task in connection.execute(select(Task))}
    rows = connection.execute(
        select(TaskHistory).order_by(TaskHistory.task_id, TaskHistory.changed_at, TaskHistory.id)
    )
    seen = set()
    for task_id, entries in groupby(rows, key=lambda row: row.task_id):
        first, *rest = entries
        task = tasks[task_id]
        assert first.change_type == ChangeType.CREATION
        assert ChangeType.CREATION not in {entry.change_type for entry in rest}
        assert (first.changed_by, first.changed_at) == (task.created_by, task.created_at)
        assert first.old_value is None
        assert set(first.new_value) == set(SNAPSHOT_FIELDS)
        assert first.new_value["status"] == TaskStatus.NEW.value
        assert first.new_value["case_id"] == (str(task.case_id) if task.case_id else None)
        seen.add(task_id)
    assert seen == set(tasks)
    assert connection.scalar(
        select(func.count()).select_from(TaskHistory).where(
            TaskHistory.change_type == ChangeType.CREATION, TaskHistory.old_value.is_not(None)
        )
    ) == 0


def test_status_changes_replay_through_the_transition_table_to_the_current_status(demo):
    connection, _ = demo
    current = dict(connection.execute(select(Task.id, Task.status)).all())
    rows = connection.execute(
        select(TaskHistory.task_id, TaskHistory.old_value, TaskHistory.new_value, TaskHistory.changed_at)
        .where(TaskHistory.change_type == ChangeType.STATUS_CHANGE)
        .order_by(TaskHistory.task_id, TaskHistory.changed_at, TaskHistory.id)
    )
    replayed = dict.fromkeys(current, TaskStatus.NEW)
    for task_id, changes in groupby(rows, key=lambda row: row.task_id):
        previous_at = None
        for change in changes:
            old, new = TaskStatus(change.old_value["status"]), TaskStatus(change.new_value["status"])
            assert old == replayed[task_id]
            assert new in TRANSITIONS[old], f"{old.value} -> {new.value}"
            assert previous_at is None or change.changed_at > previous_at
            replayed[task_id], previous_at = new, change.changed_at
    assert replayed == current
    assert {TaskStatus.COMPLETED, TaskStatus.CANCELLED} <= set(current.values())
    assert OPEN & set(current.values())


def test_version_counts_the_history_rows_and_updated_at_is_the_last_change(demo):
    connection, _ = demo
    history = (
        select(TaskHistory.task_id, func.count().label("rows"), func.max(TaskHistory.changed_at).label("last"))
        .group_by(TaskHistory.task_id)
        .subquery()
    )
    mismatched = connection.scalar(
        select(func.count())
        .select_from(Task)
        .join(history, history.c.task_id == Task.id)
        .where((Task.version != history.c.rows) | (Task.updated_at != history.c.last))
    )
    assert mismatched == 0


def test_no_change_before_its_task_was_created(demo):
    connection, _ = demo
    for model, column in ((TaskHistory, TaskHistory.changed_at), (TaskComment, TaskComment.created_at)):
        early = connection.scalar(
            select(func.count())
            .select_from(model)
            .join(Task, Task.id == model.task_id)
            .where(column < Task.created_at)
        )
        assert early == 0, model.__name__


def test_nothing_happens_in_the_future(demo):
    connection, _ = demo
    now = datetime.now(timezone.utc)
    for column in (
        User.created_at, User.last_login, Case.created_at, Case.updated_at, Task.created_at, Task.updated_at,
        TaskHistory.changed_at, TaskComment.created_at, TaskWatcher.created_at, Notification.created_at,
    ):
        assert connection.scalar(select(func.max(column))) <= now, column


def test_closed_cases_hold_only_tasks_finished_before_they_closed(demo):
    connection, _ = demo
    rows = connection.execute(
        select(Task.status, Task.updated_at, Case.updated_at.label("closed_at"))
        .join(Case, Case.id == Task.case_id)
        .where(Case.status == CaseStatus.CLOSED)
    ).all()
    assert rows
    assert all(row.status not in OPEN and row.updated_at < row.closed_at for row in rows)


def test_demo_users_have_unread_notifications(demo):
    connection, _ = demo
    for username in ("agent", "manager"):
        unread = connection.scalar(
            select(func.count())
            .select_from(Notification)
            .join(User, User.id == Notification.user_id)
            .where(User.username == username, Notification.read.is_(False))
        )
        assert unread > 0, username


@pytest.fixture
def cli_app(fresh_database):
    """An app on a fresh, empty database of its own."""
    return create_app(config_for(fresh_database("wm_cli")))


def test_demo_command_refuses_a_database_with_users_unless_reset(cli_app):
    runner = cli_app.test_cli_runner()
    first = runner.invoke(args=["demo", "--tasks", "40", "--agents", "3"])
    assert first.exit_code == 0, first.output
    assert "tasks" in first.output and "40" in first.output

    refused = runner.invoke(args=["demo", "--tasks", "40"])
    assert refused.exit_code == 1
    assert "--reset" in refused.output

    # A sign-in left an audit row, which no DELETE may remove; the reset empties the log all the same.
    with cli_app.test_request_context():
        users.authenticate(username="admin", password="demo-password")
    again = runner.invoke(args=["demo", "--tasks", "20", "--agents", "3", "--days", "3", "--reset"])
    assert again.exit_code == 0, again.output
    with cli_app.app_context():
        engine = cli_app.extensions["db_engine"]
        with engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(Task)) == 20
            assert connection.scalar(select(func.count()).select_from(AuditEvent)) == 0
            first_created = connection.scalar(select(func.min(Task.created_at)))
    assert datetime.now(timezone.utc) - first_created < timedelta(days=3)


def test_ensure_demo_data_fills_an_empty_database_once(cli_app):
    with cli_app.app_context():
        ensure_demo_data()
        engine = cli_app.extensions["db_engine"]
        with engine.connect() as connection:
            tasks = connection.scalar(select(func.count()).select_from(Task))
        ensure_demo_data()
        with engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(Task)) == tasks > 0


def test_users_create_command(cli_app):
    runner = cli_app.test_cli_runner()
    arguments = [
        "users", "create", "--username", "dana", "--email", "dana@example.com", "--full-name", "Dana Ruiz",
        "--role", "Manager", "--department", "Billing", "--phone", "+447700900123", "--password-stdin",
    ]
    created = runner.invoke(args=arguments, input="a-long-enough-password\n")
    assert created.exit_code == 0, created.output
    user_id = uuid.UUID(created.output.strip())
    with cli_app.app_context():
        with cli_app.extensions["db_engine"].connect() as connection:
            user = connection.execute(select(User).where(User.id == user_id)).one()
    assert (user.username, user.role.value, user.department) == ("dana", "Manager", "Billing")
    assert verify_password(user.password_hash, "a-long-enough-password")

    duplicate = runner.invoke(args=arguments, input="a-long-enough-password\n")
    assert duplicate.exit_code == 1
    assert "already exists" in duplicate.output

    invalid = runner.invoke(args=[*arguments[:-3], "--phone", "0770", "--password-stdin"], input="short\n")
    assert invalid.exit_code == 1
    assert "phone" in invalid.output and "password" in invalid.output


def test_status_counters_match_the_generated_tasks(demo):
    connection, _counts = demo
    live = dict(connection.execute(
        select(Task.status, func.count()).where(Task.deleted_at.is_(None)).group_by(Task.status)
    ).all())
    counters = dict(connection.execute(select(TaskStatusCount.status, TaskStatusCount.live)).all())
    assert counters == {status: live.get(status, 0) for status in TaskStatus}


def test_the_simulated_intervals_and_task_columns_are_what_a_rebuild_derives_from_the_history(demo):
    connection, _counts = demo
    interval = TaskStatusInterval

    def derived():
        intervals = connection.execute(
            select(interval.task_id, interval.step, interval.status, interval.from_status, interval.started_at,
                   interval.ended_at, interval.from_started_at, interval.clock_before_s, interval.started_w,
                   interval.ended_w, interval.work_clock_before_s).order_by(interval.task_id, interval.step)
        ).all()
        columns = connection.execute(
            select(Task.id, Task.status_since, Task.first_started_at, Task.sla_clock_s, Task.status_since_w,
                   Task.sla_work_clock_s).order_by(Task.id)
        ).all()
        return intervals + columns

    connection.rollback()
    loaded = derived()
    connection.rollback()
    transaction = connection.begin()
    try:
        rebuild_status_intervals(connection)
        rebuilt = derived()
    finally:
        transaction.rollback()
    assert len(loaded) == len(rebuilt) > 2 * TASKS
    assert any(row[8] > 0 for row in loaded[:-TASKS]), "no working coordinate was exercised"
    # Within 10 ms: SQLite's date functions, which the rebuild's epoch seconds use there, keep milliseconds.
    for ours, theirs in zip(loaded, rebuilt):
        exact = [value for value in ours if not isinstance(value, float)]
        assert exact == [value for value in theirs if not isinstance(value, float)]
        assert [value for value in ours if isinstance(value, float)] == pytest.approx(
            [value for value in theirs if isinstance(value, float)], abs=0.01)


def test_the_demo_load_builds_the_analytics_facts_and_the_commands_check_and_rebuild_them(cli_app):
    runner = cli_app.test_cli_runner()
    assert runner.invoke(args=["demo", "--tasks", "60", "--agents", "3"]).exit_code == 0
    checked = runner.invoke(args=["reports", "check"])
    assert checked.exit_code == 0 and checked.output.startswith("0 of "), checked.output
    with cli_app.app_context():
        with cli_app.extensions["db_engine"].begin() as connection:
            connection.execute(text("UPDATE report_facts SET n = n + 1 WHERE measure = 1 AND grain = 0"))
    broken = runner.invoke(args=["reports", "check"])
    assert broken.exit_code == 1 and not broken.output.startswith("0 of "), broken.output
    rebuilt = runner.invoke(args=["reports", "rebuild"])
    assert rebuilt.exit_code == 0 and "fact rows derived" in rebuilt.output, rebuilt.output
    assert runner.invoke(args=["reports", "check"]).exit_code == 0


HEALTHY_TASKS = 2_000
#: How long ago an open task's SLA target may have passed. The generator chases overdue work: each
#: phase from the moment the clock passes the target ends within 0.4 x the target (jobs.demo.CHASE_SHARE;
#: 2.8 days for Low, the longest), and a task past its target is not put On Hold. So an open task is a
#: few such phases past its target (put On Hold as it breached and back In Progress, or completed and
#: reopened): 3 x 2.8 = 8.4 days; 14 leaves a margin (the worst of 200,000 tasks was 7.4 days).
OVERDUE_BOUND = timedelta(days=14)


@pytest.fixture(scope="module")
def healthy_app(fresh_database):
    """An app on a database holding the default demo team's HEALTHY_TASKS tasks (in several chunks)."""
    application = create_app(config_for(fresh_database("wm_demo_health")))
    generate(application.extensions["db_engine"], tasks=HEALTHY_TASKS, chunk_tasks=HEALTHY_TASKS // 3)
    with application.app_context():
        yield application


def test_the_demo_team_looks_healthy(healthy_app):
    everything = TaskFilters()
    compliance = sla.compliance(filters=everything)
    assert 80 <= compliance["compliance_pct"] <= 97, compliance
    by_priority = sla.compliance_by_priority(filters=everything).set_index("priority")
    assert (by_priority["breached"] > 0).all(), by_priority  # a tail of breaches at every priority

    rework = flow.rework(filters=everything)
    assert rework["reopens"] > 0 and rework["ping_pong_reassignments"] > 0, rework

    session = db.session
    empty_cases = session.scalar(
        select(func.count()).select_from(Case).where(~select(Task.id).where(Task.case_id == Case.id).exists()))
    assert session.scalar(select(func.count()).select_from(Case)) == HEALTHY_TASKS // TASKS_PER_CASE
    assert empty_cases == 0

    open_tasks = select(func.count()).select_from(Task).where(Task.status.in_(OPEN_STATUSES))
    breached = session.scalar(open_tasks.where(Task.sla_due_s < datetime.now(timezone.utc).timestamp()))
    assert breached < 0.25 * session.scalar(open_tasks)  # some open work may be late, most is not
    earliest_due = session.scalar(select(func.min(Task.sla_due_s)).where(Task.status.in_(OPEN_STATUSES)))
    assert datetime.now(timezone.utc) - datetime.fromtimestamp(earliest_due, timezone.utc) < OVERDUE_BOUND
