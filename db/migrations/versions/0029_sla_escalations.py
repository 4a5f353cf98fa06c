"""SLA escalation rules and the steps fired per task and SLA episode; the notification types "SLA Warning"
and "SLA Breach".

Revision ID: 0029
Revises: 0028
"""
import warnings

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import db.types

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

PRIORITIES = ("Low", "Medium", "High", "Critical")
OLD_TYPES = ("Task Assignment", "Status Change", "Due Date", "Comment")
NEW_TYPES = ("SLA Warning", "SLA Breach")
#: Every table with a notification_type column (0001, 0008, 0010).
TYPED_TABLES = ("notifications", "notification_preferences", "notification_defaults", "email_digest_items")


def _priority_type():
    # The enum type exists since 0001: reuse it on PostgreSQL, a checked VARCHAR elsewhere.
    return sa.Enum(*PRIORITIES, name="task_priority", create_constraint=True).with_variant(
        postgresql.ENUM(*PRIORITIES, name="task_priority", create_type=False), "postgresql"
    )


def _checked_types(types: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*types, name="notification_type", create_constraint=True)


def _retype_sqlite(old: tuple[str, ...], new: tuple[str, ...]) -> None:
    """SQLite keeps the enum as a CHECK constraint on each table: recreate each table with the new one."""
    for table in TYPED_TABLES:
        with warnings.catch_warnings():
            # Reflecting a table reflects the tables its foreign keys name: `tasks` has expression indexes that
            # cannot be reflected. None of the tables recreated here has one.
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index", sa.exc.SAWarning)
            with op.batch_alter_table(table, recreate="always") as batch:
                batch.alter_column("type", existing_type=_checked_types(old), type_=_checked_types(new),
                                   existing_nullable=False)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # A value added to an enum cannot be used in the transaction that added it (and before PostgreSQL 12
        # cannot be added inside one at all): outside the migration's transaction.
        with op.get_context().autocommit_block():
            for value in NEW_TYPES:
                op.execute(f"ALTER TYPE notification_type ADD VALUE IF NOT EXISTS '{value}'")
    else:
        _retype_sqlite(OLD_TYPES, OLD_TYPES + NEW_TYPES)
    op.create_table(
        "sla_escalation_rules",
        sa.Column("priority", _priority_type(), nullable=False),
        sa.Column("warning_enabled", sa.Boolean(), nullable=False),
        sa.Column("warning_percent", sa.Integer(), nullable=False),
        sa.Column("breach_enabled", sa.Boolean(), nullable=False),
        sa.Column("raise_priority", sa.Boolean(), nullable=False),
        sa.Column("return_to_queue", sa.Boolean(), nullable=False),
        sa.Column("updated_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.CheckConstraint("warning_percent BETWEEN 1 AND 99",
                           name=op.f("ck_sla_escalation_rules_warning_percent_range")),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"], name=op.f("fk_sla_escalation_rules_updated_by_users")),
        sa.PrimaryKeyConstraint("priority", name=op.f("pk_sla_escalation_rules")),
    )
    op.create_table(
        "sla_escalations",
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("episode", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("fired_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("notified", sa.Integer(), nullable=False),
        sa.CheckConstraint("step IN ('warning', 'breach')", name=op.f("ck_sla_escalations_step")),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_sla_escalations_task_id_tasks")),
        sa.PrimaryKeyConstraint("task_id", "episode", "step", name=op.f("pk_sla_escalations")),
    )
    state = op.create_table(
        "sla_escalation_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("swept_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("facts_changed_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_sla_escalation_state_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_escalation_state")),
    )
    # Never swept: the first run looks a day back (workflow/escalations.py CATCH_UP).
    op.bulk_insert(state, [{"id": 1, "swept_at": None, "facts_changed_at": None}])


def downgrade() -> None:
    op.drop_table("sla_escalation_state")
    op.drop_table("sla_escalations")
    op.drop_table("sla_escalation_rules")
    listed = ", ".join(f"'{value}'" for value in NEW_TYPES)
    for table in TYPED_TABLES:
        op.execute(f"DELETE FROM {table} WHERE type IN ({listed})")
    if op.get_bind().dialect.name == "postgresql":
        # PostgreSQL cannot drop an enum value: a type without them takes the old one's place.
        op.execute("ALTER TYPE notification_type RENAME TO notification_type_old")
        op.execute(f"CREATE TYPE notification_type AS ENUM ({', '.join(repr(value) for value in OLD_TYPES)})")
        for table in TYPED_TABLES:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN type TYPE notification_type "
                       "USING type::text::notification_type")
        op.execute("DROP TYPE notification_type_old")
    else:
        _retype_sqlite(OLD_TYPES + NEW_TYPES, OLD_TYPES)
