"""Index the priority and status sort orders.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

# The same texts as db.models' *_RANK_SQL, frozen here as this revision made them.
PRIORITY_RANK_SQL = "(CASE priority WHEN 'Low' THEN 0 WHEN 'Medium' THEN 1 WHEN 'High' THEN 2 WHEN 'Critical' THEN 3 END)"
STATUS_RANK_SQL = (
    "(CASE status WHEN 'New' THEN 0 WHEN 'In Progress' THEN 1 WHEN 'On Hold' THEN 2 "
    "WHEN 'Completed' THEN 3 WHEN 'Cancelled' THEN 4 END)"
)

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    for name, expression in (
        ("ix_tasks_priority_rank_id", PRIORITY_RANK_SQL),
        ("ix_tasks_status_rank_id", STATUS_RANK_SQL),
    ):
        op.create_index(name, "tasks", [sa.text(expression), "id"], postgresql_where=LIVE, sqlite_where=LIVE)


def downgrade() -> None:
    op.drop_index("ix_tasks_status_rank_id", table_name="tasks")
    op.drop_index("ix_tasks_priority_rank_id", table_name="tasks")
