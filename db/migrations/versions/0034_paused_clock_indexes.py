"""The paused tasks with SLA time left, indexed per priority by the clock they used (wall clock and working
time), most first: the watchlist reads the few at risk of each priority nearest their target, instead of
computing every paused task's clock (which grows with the backlog). They replace the index of 0022.

Revision ID: 0034
Revises: 0033
"""
import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

PAUSED_WITHIN_TARGET = sa.text("status = 'On Hold' AND sla_due_s IS NULL AND deleted_at IS NULL")


def upgrade() -> None:
    for name, clock in (("ix_tasks_paused_clock", "sla_clock_s"), ("ix_tasks_paused_work_clock", "sla_work_clock_s")):
        op.create_index(name, "tasks", ["priority", sa.text(f"{clock} DESC"), "id"],
                        postgresql_where=PAUSED_WITHIN_TARGET, sqlite_where=PAUSED_WITHIN_TARGET)
    op.drop_index("ix_tasks_paused_within_target", table_name="tasks")


def downgrade() -> None:
    op.create_index("ix_tasks_paused_within_target", "tasks", ["id"], postgresql_where=PAUSED_WITHIN_TARGET,
                    sqlite_where=PAUSED_WITHIN_TARGET)
    op.drop_index("ix_tasks_paused_work_clock", table_name="tasks")
    op.drop_index("ix_tasks_paused_clock", table_name="tasks")
