"""Auto-assignment rules per department (each row also the department's round-robin cursor) and the users'
away flag with its optional return moment.

Revision ID: 0030
Revises: 0029
"""
import sqlalchemy as sa
from alembic import op

import db.types

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("away", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("users", sa.Column("away_until", db.types.UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        "assignment_rules",
        sa.Column("department", sa.String(100), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("turns", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_assigned_to", sa.Uuid(), nullable=True),
        sa.Column("updated_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.CheckConstraint("mode IN ('off', 'round_robin', 'least_loaded')", name=op.f("ck_assignment_rules_mode_known")),
        sa.ForeignKeyConstraint(["last_assigned_to"], ["users.id"],
                                name=op.f("fk_assignment_rules_last_assigned_to_users")),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"], name=op.f("fk_assignment_rules_updated_by_users")),
        sa.PrimaryKeyConstraint("department", name=op.f("pk_assignment_rules")),
    )


def downgrade() -> None:
    op.drop_table("assignment_rules")
    op.drop_column("users", "away_until")
    op.drop_column("users", "away")
