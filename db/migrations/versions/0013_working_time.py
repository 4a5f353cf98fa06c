"""Working time: the business-hours calendar's spans in SQL, and every SLA clock also in working seconds.

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

from db.status_intervals import rebuild, replace_spans
from workflow.calendar import DEFAULT_CALENDAR, working_spans

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for column in ("status_since_w", "sla_work_clock_s"):
        default = sa.text("0") if column == "sla_work_clock_s" else None
        op.add_column("tasks", sa.Column(column, sa.Float(), server_default=default, nullable=default is None))
    op.add_column("task_status_intervals", sa.Column("started_w", sa.Float(), server_default=sa.text("0"), nullable=False))
    op.add_column("task_status_intervals", sa.Column("ended_w", sa.Float(), nullable=True))
    op.add_column("task_status_intervals",
                  sa.Column("work_clock_before_s", sa.Float(), server_default=sa.text("0"), nullable=False))
    op.create_table(
        "sla_calendar_spans",
        sa.Column("start_s", sa.Float(), autoincrement=False, nullable=False),
        sa.Column("end_s", sa.Float(), nullable=False),
        sa.Column("before_w", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("start_s", name=op.f("pk_sla_calendar_spans")),
    )
    op.create_index("ix_sla_calendar_spans_before_w", "sla_calendar_spans", ["before_w"])
    # No calendar can have been stored before this revision (0012 and 0013 ship together).
    replace_spans(op.get_bind(), working_spans(DEFAULT_CALENDAR))
    # Derive the intervals (0011) from what the history already tells, before their indexes
    # exist: one pass, then one sort per index.
    rebuild(op.get_bind())
    op.create_index("ix_task_status_intervals_started_at", "task_status_intervals", ["started_at"])
    op.create_index("ix_task_status_intervals_ended_at", "task_status_intervals", ["ended_at"])


def downgrade() -> None:
    op.drop_index("ix_task_status_intervals_ended_at", table_name="task_status_intervals")
    op.drop_index("ix_task_status_intervals_started_at", table_name="task_status_intervals")
    op.drop_index("ix_sla_calendar_spans_before_w", table_name="sla_calendar_spans")
    op.drop_table("sla_calendar_spans")
    for column in ("work_clock_before_s", "ended_w", "started_w"):
        op.drop_column("task_status_intervals", column)
    op.drop_column("tasks", "sla_work_clock_s")
    op.drop_column("tasks", "status_since_w")
