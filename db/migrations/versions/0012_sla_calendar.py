"""Business-hours SLA calendar: the working week and time zone, its holidays, and a flag per target.

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

import db.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE on both backends; existing targets keep counting every hour.
    op.add_column(
        "sla_targets", sa.Column("business_hours", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.create_table(
        "sla_calendar",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("week", db.types.JSONDocument, nullable=False),
        sa.Column("updated_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_sla_calendar_single_row")),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"], name=op.f("fk_sla_calendar_updated_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_calendar")),
    )
    op.create_table(
        "sla_holidays",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_sla_holidays")),
    )


def downgrade() -> None:
    op.drop_table("sla_holidays")
    op.drop_table("sla_calendar")
    op.drop_column("sla_targets", "business_hours")
