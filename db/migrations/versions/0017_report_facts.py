"""Analytics facts: per UTC day and key, counts and log-spaced duration buckets kept by every task change
(reports/facts.py), and whether they are ready to read.

Also: when each open task's SLA target is passed (tasks.sla_due_s), hand-backs flagged on the
history (task_history.returned_to_holder, derived here for the rows there), and indexes for the
figures that list tasks (latest completions, oldest open work, reopens, hand-backs).

A database that already holds tasks starts with the facts not ready: the scheduled duty (or
`flask reports rebuild`) derives them from the history, and the reports compute from the
history until then.

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

import db.types

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_facts",
        sa.Column("grain", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("measure", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("assignee_id", sa.Uuid(), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("priority", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("status", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("from_status", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("bucket", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("grain", "measure", "assignee_id", "department", "day", "priority", "status",
                                "from_status", "bucket", name=op.f("pk_report_facts")),
    )
    op.add_column("tasks", sa.Column("sla_due_s", sa.Float(), nullable=True))
    op.create_index("ix_tasks_sla_due_s", "tasks", ["sla_due_s"],
                    postgresql_where=sa.text("sla_due_s IS NOT NULL AND deleted_at IS NULL"),
                    sqlite_where=sa.text("sla_due_s IS NOT NULL AND deleted_at IS NULL"))
    op.create_index("ix_tasks_status_status_since_id", "tasks", ["status", "status_since", "id"],
                    postgresql_where=sa.text("deleted_at IS NULL"), sqlite_where=sa.text("deleted_at IS NULL"))
    open_live = sa.text("status IN ('New', 'In Progress', 'On Hold') AND deleted_at IS NULL")
    op.create_index("ix_tasks_open_age", "tasks", [sa.text("coalesce(first_started_at, created_at)"), "id"],
                    postgresql_where=open_live, sqlite_where=open_live)
    # Hand-backs: Assignment rows whose new holder held the task before (db/handovers.py, frozen here).
    op.add_column("task_history", sa.Column("returned_to_holder", sa.Boolean(), nullable=False,
                                            server_default=sa.false()))
    postgres = op.get_bind().dialect.name == "postgresql"
    holder = (lambda row: f"{row}.new_value->>'assigned_to'") if postgres else (
        lambda row: f"json_extract({row}.new_value, '$.assigned_to')")
    op.execute(
        f"UPDATE task_history SET returned_to_holder = {'true' if postgres else '1'} "
        f"WHERE change_type = 'Assignment' AND {holder('task_history')} IS NOT NULL AND EXISTS ("
        f"SELECT 1 FROM task_history AS earlier WHERE earlier.task_id = task_history.task_id "
        f"AND earlier.change_type IN ('Creation', 'Assignment') "
        f"AND (earlier.changed_at < task_history.changed_at "
        f"OR (earlier.changed_at = task_history.changed_at AND earlier.id < task_history.id)) "
        f"AND {holder('earlier')} = {holder('task_history')})"
    )
    op.create_index("ix_task_history_hand_backs", "task_history", ["changed_at"],
                    postgresql_where=sa.text("returned_to_holder"), sqlite_where=sa.text("returned_to_holder"))
    op.create_index("ix_task_status_intervals_reopens", "task_status_intervals", ["started_at"],
                    postgresql_where=sa.text("from_status = 'Completed'"),
                    sqlite_where=sa.text("from_status = 'Completed'"))
    state = op.create_table(
        "report_fact_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("ready", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("changed_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("working_time_stale", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.CheckConstraint("id = 1", name=op.f("ck_report_fact_state_single_row")),
        sa.PrimaryKeyConstraint("id", name="pk_report_fact_state"),
    )
    has_tasks = op.get_bind().execute(sa.text("SELECT 1 FROM tasks LIMIT 1")).first() is not None
    op.bulk_insert(state, [{"id": 1, "ready": not has_tasks, "reason": "first build" if has_tasks else "",
                            "progress": 0, "changed_at": db.types.utcnow()}])


def downgrade() -> None:
    op.drop_index("ix_task_status_intervals_reopens", table_name="task_status_intervals")
    op.drop_index("ix_task_history_hand_backs", table_name="task_history")
    op.drop_column("task_history", "returned_to_holder")
    op.drop_index("ix_tasks_open_age", table_name="tasks")
    op.drop_index("ix_tasks_status_status_since_id", table_name="tasks")
    op.drop_index("ix_tasks_sla_due_s", table_name="tasks")
    op.drop_column("tasks", "sla_due_s")
    op.drop_table("report_fact_state")
    op.drop_table("report_facts")
