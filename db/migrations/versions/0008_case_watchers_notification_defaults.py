"""Case watchers, and the notification defaults an Admin sets for users who chose nothing.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import db.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TYPES = ("Task Assignment", "Status Change", "Due Date", "Comment")


def _notification_type():
    # The enum type exists since 0001: reuse it on PostgreSQL, a checked VARCHAR elsewhere.
    return sa.Enum(*TYPES, name="notification_type", create_constraint=True).with_variant(
        postgresql.ENUM(*TYPES, name="notification_type", create_type=False), "postgresql"
    )


def upgrade() -> None:
    op.create_table(
        "case_watchers",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_watchers_case_id_cases")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_case_watchers_user_id_users")),
        sa.PrimaryKeyConstraint("case_id", "user_id", name=op.f("pk_case_watchers")),
    )
    op.create_index(op.f("ix_case_watchers_user_id"), "case_watchers", ["user_id"])
    op.create_table(
        "notification_defaults",
        sa.Column("type", _notification_type(), nullable=False),
        sa.Column("in_app", sa.Boolean(), nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.Column("sms", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("type", name=op.f("pk_notification_defaults")),
    )


def downgrade() -> None:
    op.drop_table("notification_defaults")
    op.drop_index(op.f("ix_case_watchers_user_id"), table_name="case_watchers")
    op.drop_table("case_watchers")
