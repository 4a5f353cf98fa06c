"""Signed webhooks: endpoints, and the endpoint each `webhook` outbox message goes to.

Revision ID: 0028
Revises: 0027
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import db.types

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("events", sa.JSON().with_variant(postgresql.ARRAY(sa.Text()), "postgresql"), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_webhooks_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks")),
    )
    op.create_index("ix_webhooks_active_created_at", "webhooks", ["active", "created_at"])
    op.add_column("outbox_messages", sa.Column("webhook_id", sa.Uuid(), nullable=True))
    op.create_index("ix_outbox_messages_webhook_id_created_at", "outbox_messages", ["webhook_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_messages_webhook_id_created_at", table_name="outbox_messages")
    op.drop_column("outbox_messages", "webhook_id")
    op.drop_index("ix_webhooks_active_created_at", table_name="webhooks")
    op.drop_table("webhooks")
