"""Export leases: the worker running an export holds it until `claimed_until`; past that, another takes it over.

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

import db.types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("exports", sa.Column("claim", sa.Uuid(), nullable=True))
    op.add_column("exports", sa.Column("claimed_until", db.types.UTCDateTime(timezone=True), nullable=True))
    op.add_column("exports", sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False))
    # The takeover sweep looks for unfinished exports only.
    op.create_index(
        "ix_exports_unfinished_claimed_until", "exports", ["claimed_until"],
        postgresql_where=sa.text("status IN ('queued', 'running')"), sqlite_where=sa.text("status IN ('queued', 'running')"),
    )


def downgrade() -> None:
    op.drop_index("ix_exports_unfinished_claimed_until", table_name="exports")
    op.drop_column("exports", "attempts")
    op.drop_column("exports", "claimed_until")
    op.drop_column("exports", "claim")
