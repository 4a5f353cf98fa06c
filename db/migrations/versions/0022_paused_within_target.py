"""The paused tasks with SLA time left, indexed apart: the watchlist orders these few by when they would
pass their target, instead of scanning every open task for them.

Revision ID: 0022
Revises: 0021
"""
import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

PAUSED_WITHIN_TARGET = sa.text("status = 'On Hold' AND sla_due_s IS NULL AND deleted_at IS NULL")


def upgrade() -> None:
    op.create_index("ix_tasks_paused_within_target", "tasks", ["id"], postgresql_where=PAUSED_WITHIN_TARGET,
                    sqlite_where=PAUSED_WITHIN_TARGET)


def downgrade() -> None:
    op.drop_index("ix_tasks_paused_within_target", table_name="tasks")
