"""Outbox claims: the token of the claim holding a `sending` message (every write of its dispatcher requires
it), and when a send that cannot be repeated safely (SMS, email through SES) was started.

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

import db.types

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox_messages", sa.Column("claim_token", sa.Uuid(), nullable=True))
    op.add_column("outbox_messages", sa.Column("send_started_at", db.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("outbox_messages", "send_started_at")
    op.drop_column("outbox_messages", "claim_token")
