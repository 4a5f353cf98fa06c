"""Count live tasks per status in a table kept by every change.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

STATUSES = ("New", "In Progress", "On Hold", "Completed", "Cancelled")


def upgrade() -> None:
    status_type = sa.Enum(*STATUSES, name="task_status", create_constraint=True)
    if op.get_bind().dialect.name == "postgresql":
        status_type = postgresql.ENUM(*STATUSES, name="task_status", create_type=False)
    op.create_table(
        "task_status_counts",
        sa.Column("status", status_type, nullable=False),
        sa.Column("live", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("status", name=op.f("pk_task_status_counts")),
    )
    # Start from the tasks already there; from now on each change keeps the counts.
    for status in STATUSES:
        op.execute(
            sa.text(
                "INSERT INTO task_status_counts (status, live) SELECT :status, count(*) FROM tasks "
                "WHERE status = :status AND deleted_at IS NULL"
            ).bindparams(status=status)
        )


def downgrade() -> None:
    op.drop_table("task_status_counts")
