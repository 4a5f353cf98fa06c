"""Task attachments: files stored in S3 or a local folder, one row each.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

import db.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_attachments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=128), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("uploaded_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_task_attachments_task_id_tasks")),
        sa.ForeignKeyConstraint(["uploaded_by"], ["users.id"], name=op.f("fk_task_attachments_uploaded_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_attachments")),
    )
    op.create_index(
        "ix_task_attachments_task_id_created_at_id", "task_attachments", ["task_id", "created_at", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_task_attachments_task_id_created_at_id", table_name="task_attachments")
    op.drop_table("task_attachments")
