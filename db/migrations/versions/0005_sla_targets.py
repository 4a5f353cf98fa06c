"""SLA resolution targets per priority, seeded with the defaults.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

PRIORITIES = ("Low", "Medium", "High", "Critical")
#: Critical 4 h, High 24 h, Medium 72 h, Low 168 h.
DEFAULT_TARGET_MINUTES = {"Critical": 4 * 60, "High": 24 * 60, "Medium": 72 * 60, "Low": 168 * 60}


def upgrade() -> None:
    priority_type = sa.Enum(*PRIORITIES, name="task_priority", create_constraint=True)
    if op.get_bind().dialect.name == "postgresql":
        priority_type = postgresql.ENUM(*PRIORITIES, name="task_priority", create_type=False)
    targets = op.create_table(
        "sla_targets",
        sa.Column("priority", priority_type, nullable=False),
        sa.Column("target_minutes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("priority", name=op.f("pk_sla_targets")),
    )
    op.bulk_insert(
        targets, [{"priority": name, "target_minutes": minutes} for name, minutes in DEFAULT_TARGET_MINUTES.items()]
    )


def downgrade() -> None:
    op.drop_table("sla_targets")
