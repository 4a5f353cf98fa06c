"""Rework counts off the index alone: the reopens' and hand-backs' partial indexes include the task
(and the reopened status), so counting them and their distinct tasks reads no table rows.

Revision ID: 0021
Revises: 0020
"""
import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

HAND_BACK = sa.text("returned_to_holder")
REOPEN = sa.text("from_status = 'Completed'")


def _indexes(include_hand_backs: list[str], include_reopens: list[str]) -> None:
    op.drop_index("ix_task_history_hand_backs", table_name="task_history")
    op.drop_index("ix_task_status_intervals_reopens", table_name="task_status_intervals")
    op.create_index("ix_task_history_hand_backs", "task_history", ["changed_at"], postgresql_include=include_hand_backs,
                    postgresql_where=HAND_BACK, sqlite_where=HAND_BACK)
    op.create_index("ix_task_status_intervals_reopens", "task_status_intervals", ["started_at"],
                    postgresql_include=include_reopens, postgresql_where=REOPEN, sqlite_where=REOPEN)


def upgrade() -> None:
    _indexes(["task_id"], ["status", "task_id"])


def downgrade() -> None:
    _indexes([], [])
