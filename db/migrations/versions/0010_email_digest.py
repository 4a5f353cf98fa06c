"""Email digest: a per-user email mode and the queued items of daily-digest users.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import db.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TYPES = ("Task Assignment", "Status Change", "Due Date", "Comment")
PENDING = sa.text("outbox_message_id IS NULL")


def upgrade() -> None:
    op.create_table(
        "email_digest_settings",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("last_digest_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_email_digest_settings_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_email_digest_settings")),
    )
    op.create_table(
        "email_digest_items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "type",
            # The enum type exists since 0001: reuse it on PostgreSQL, a checked VARCHAR elsewhere.
            sa.Enum(*TYPES, name="notification_type", create_constraint=True).with_variant(
                postgresql.ENUM(*TYPES, name="notification_type", create_type=False), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=True),
        sa.Column("task_title", sa.String(length=200), nullable=False),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outbox_message_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_email_digest_items_user_id_users")),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_email_digest_items_task_id_tasks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_digest_items")),
    )
    op.create_index(
        "ix_email_digest_items_user_id_pending", "email_digest_items", ["user_id", "created_at"],
        postgresql_where=PENDING, sqlite_where=PENDING,
    )


def downgrade() -> None:
    op.drop_index("ix_email_digest_items_user_id_pending", table_name="email_digest_items")
    op.drop_table("email_digest_items")
    op.drop_table("email_digest_settings")
