"""Revocable credentials: every token and session carries the user's credential version; bumping it
(logout, password change, deactivation, "sign out everywhere") ends them all. A password change is recorded.

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

import db.types

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("credential_version", sa.Integer(), server_default=sa.text("0"), nullable=False))
    op.add_column("users", sa.Column("password_changed_at", db.types.UTCDateTime(timezone=True), nullable=True))
    # Who set the password last: the user themself, or the Admin who reset it.
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its reference in one statement (ALTER cannot add a constraint later).
        op.execute("ALTER TABLE users ADD COLUMN password_changed_by CHAR(32) REFERENCES users (id)")
    else:
        op.add_column("users", sa.Column("password_changed_by", sa.Uuid(), nullable=True))
        op.create_foreign_key("fk_users_password_changed_by", "users", "users", ["password_changed_by"], ["id"])


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_users_password_changed_by", "users", type_="foreignkey")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("password_changed_by")
        batch.drop_column("password_changed_at")
        batch.drop_column("credential_version")
