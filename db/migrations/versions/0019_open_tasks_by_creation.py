"""Open tasks by creation, with the columns the workload counts included: the workload tables for a
date range (which selects by creation, and is not in the analytics facts) read the index alone.

Revision ID: 0019
Revises: 0018
"""
import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

OPEN_LIVE = sa.text("status IN ('New', 'In Progress', 'On Hold') AND deleted_at IS NULL")


def upgrade() -> None:
    op.create_index("ix_tasks_open_created_at", "tasks", ["created_at"],
                    postgresql_include=["assigned_to", "priority", "due_date"],
                    postgresql_where=OPEN_LIVE, sqlite_where=OPEN_LIVE)


def downgrade() -> None:
    op.drop_index("ix_tasks_open_created_at", table_name="tasks")
