"""Board WIP limits: per department ("" for the default) and column (status), a whole number from 1 to 999.

Revision ID: 0024
Revises: 0023
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import db.types

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

STATUSES = ("New", "In Progress", "On Hold", "Completed", "Cancelled")


def upgrade() -> None:
    status_type = sa.Enum(*STATUSES, name="task_status", create_constraint=True)
    if op.get_bind().dialect.name == "postgresql":
        status_type = postgresql.ENUM(*STATUSES, name="task_status", create_type=False)
    op.create_table(
        "board_wip_limits",
        sa.Column("department", sa.String(100), nullable=False),
        sa.Column("status", status_type, nullable=False),
        sa.Column("wip_limit", sa.Integer(), nullable=False),
        sa.Column("updated_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.CheckConstraint("wip_limit BETWEEN 1 AND 999", name=op.f("ck_board_wip_limits_wip_limit_range")),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"], name=op.f("fk_board_wip_limits_updated_by_users")),
        sa.PrimaryKeyConstraint("department", "status", name=op.f("pk_board_wip_limits")),
    )


def downgrade() -> None:
    op.drop_table("board_wip_limits")
