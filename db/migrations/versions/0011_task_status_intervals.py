"""Status intervals: each stretch a task spent in one status, and the task's SLA clock, kept by every change.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import db.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

DELETED = sa.text("deleted_at IS NOT NULL")
STATUSES = ("New", "In Progress", "On Hold", "Completed", "Cancelled")


def _status_type():
    # The enum type exists since 0001: reuse it on PostgreSQL, a checked VARCHAR elsewhere.
    return sa.Enum(*STATUSES, name="task_status", create_constraint=True).with_variant(
        postgresql.ENUM(*STATUSES, name="task_status", create_type=False), "postgresql"
    )


def upgrade() -> None:
    # Plain ALTER TABLE on both backends (SQLite has ADD and DROP COLUMN since 3.35).
    op.add_column("tasks", sa.Column("status_since", db.types.UTCDateTime(timezone=True), nullable=True))
    op.add_column("tasks", sa.Column("first_started_at", db.types.UTCDateTime(timezone=True), nullable=True))
    op.add_column("tasks", sa.Column("sla_clock_s", sa.Float(), server_default=sa.text("0"), nullable=False))
    op.create_table(
        "task_status_intervals",
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("status", _status_type(), nullable=False),
        sa.Column("from_status", _status_type(), nullable=True),
        sa.Column("started_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("from_started_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("clock_before_s", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_task_status_intervals_task_id_tasks")),
        sa.PrimaryKeyConstraint("task_id", "step", name=op.f("pk_task_status_intervals")),
    )
    # Filled from the history by 0013, once the working-time columns exist too; its indexes come then.
    op.create_index("ix_tasks_deleted_id", "tasks", ["id"], postgresql_where=DELETED, sqlite_where=DELETED)


def downgrade() -> None:
    op.drop_index("ix_tasks_deleted_id", table_name="tasks")
    op.drop_table("task_status_intervals")
    op.drop_column("tasks", "sla_clock_s")
    op.drop_column("tasks", "first_started_at")
    op.drop_column("tasks", "status_since")
