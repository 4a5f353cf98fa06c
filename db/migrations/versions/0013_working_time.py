"""Working time: the business-hours calendar's spans in SQL, and every SLA clock also in working seconds.

Revision ID: 0013
Revises: 0012
"""
from datetime import date, timedelta

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles

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
    _replace_spans(op.get_bind(), _default_working_spans())
    # Derive the intervals (0011) from what the history already tells, before their indexes
    # exist: one pass, then one sort per index.
    _rebuild(op.get_bind())
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


# --- frozen copies -------------------------------------------------------------------------------
# Copies, as of revision 0013, of what this migration used to import: the tables from db/models.py,
# `epoch_seconds` from db/types.py, `rebuild`/`replace_spans` (and their helpers) from
# db/status_intervals.py and the default calendar's `working_spans` from domain/calendar.py.
# They must NEVER be changed to follow the live code: this revision has to do the same thing
# forever, whatever those modules become.

STATUSES = ("New", "In Progress", "On Hold", "Completed", "Cancelled")
CHANGE_TYPES = ("Creation", "Status Change", "Assignment", "Edit")
#: The statuses in which the SLA clock runs.
CLOCK_STATUSES = ("New", "In Progress")

_task_status = sa.Enum(*STATUSES, name="task_status")
_timestamp = sa.DateTime(timezone=True)

tasks = sa.table(
    "tasks",
    sa.column("id", sa.Uuid()),
    sa.column("status_since", _timestamp),
    sa.column("first_started_at", _timestamp),
    sa.column("sla_clock_s", sa.Float()),
    sa.column("status_since_w", sa.Float()),
    sa.column("sla_work_clock_s", sa.Float()),
)
task_history = sa.table(
    "task_history",
    sa.column("id", sa.Uuid()),
    sa.column("task_id", sa.Uuid()),
    sa.column("change_type", sa.Enum(*CHANGE_TYPES, name="change_type")),
    sa.column("new_value", sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")),
    sa.column("changed_at", _timestamp),
)
task_status_intervals = sa.table(
    "task_status_intervals",
    sa.column("task_id", sa.Uuid()),
    sa.column("step", sa.Integer()),
    sa.column("status", _task_status),
    sa.column("from_status", _task_status),
    sa.column("started_at", _timestamp),
    sa.column("ended_at", _timestamp),
    sa.column("from_started_at", _timestamp),
    sa.column("clock_before_s", sa.Float()),
    sa.column("started_w", sa.Float()),
    sa.column("ended_w", sa.Float()),
    sa.column("work_clock_before_s", sa.Float()),
)
sla_calendar_spans = sa.table(
    "sla_calendar_spans",
    sa.column("start_s", sa.Float()),
    sa.column("end_s", sa.Float()),
    sa.column("before_w", sa.Float()),
)


class _epoch_seconds(sa.sql.expression.FunctionElement):
    """A timestamp column as seconds since 1970 UTC (float)."""

    type = sa.Float()
    name = "epoch_seconds"
    inherit_cache = True


@compiles(_epoch_seconds, "postgresql")
def _epoch_seconds_postgresql(element, compiler, **kw):
    """PostgreSQL: date_part('epoch', ...)."""
    return f"date_part('epoch', {compiler.process(element.clauses, **kw)})"


@compiles(_epoch_seconds, "sqlite")
def _epoch_seconds_sqlite(element, compiler, **kw):
    """SQLite: julianday() rebased to 1970 and rounded to whole milliseconds."""
    return f"ROUND((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0, 3)"


def _default_working_spans() -> list[tuple[float, float, float]]:
    """The default calendar's spans for 2000-2099: (start, end) in epoch seconds and the working coordinate at start.

    Monday to Friday 09:00-17:00 UTC, no holidays: one 8-hour span per weekday, and the coordinate
    (working seconds since 2000-01-01T00:00Z) at a span's start is 28800 s per working day before it.
    """
    epoch = date(1970, 1, 1)
    spans = []
    before = 0
    day = date(2000, 1, 1)
    while day.year < 2100:
        if day.weekday() < 5:
            start = (day - epoch).days * 86400 + 9 * 3600
            spans.append((float(start), float(start + 8 * 3600), float(before)))
            before += 8 * 3600
        day += timedelta(days=1)
    return spans


def _replace_spans(connection, spans) -> None:
    """Store the calendar's working spans (start_s, end_s, before_w), replacing the ones there."""
    connection.execute(sa.delete(sla_calendar_spans))
    rows = [{"start_s": start, "end_s": end, "before_w": before} for start, end, before in spans]
    if rows:
        connection.execute(sa.insert(sla_calendar_spans), rows)


def _working_coordinate(moment_s):
    """SQL: the working coordinate of a moment given in epoch seconds (0 before the first span)."""
    span = sla_calendar_spans.c
    within = sa.case((moment_s >= span.end_s, span.end_s - span.start_s), else_=moment_s - span.start_s)
    found = sa.select(span.before_w + within).where(span.start_s <= moment_s).order_by(span.start_s.desc()).limit(1)
    return sa.func.coalesce(found.scalar_subquery(), sa.literal(0.0, sa.Float))


def _current(column):
    """A column of the task's current interval, as a scalar subquery correlated to `tasks`."""
    interval = task_status_intervals.c
    return sa.select(column).where(interval.task_id == tasks.c.id, interval.ended_at.is_(None)).scalar_subquery()


def _rebuild(connection) -> None:
    """Derive every task's intervals and its interval columns from task_history, in three statements."""
    connection.execute(sa.delete(task_status_intervals))

    history = task_history.c
    status = sa.case(
        (history.change_type == "Creation", sa.literal("New")),
        else_=history.new_value["status"].as_string(),
    )

    def over_task(function):
        """The window function over one task's history in the order (changed_at, id)."""
        return function.over(partition_by=history.task_id, order_by=(history.changed_at, history.id))

    moves = (
        sa.select(
            history.task_id,
            over_task(sa.func.row_number()).label("step"),
            status.label("status"),
            over_task(sa.func.lag(status)).label("from_status"),
            history.changed_at.label("started_at"),
            over_task(sa.func.lead(history.changed_at)).label("ended_at"),
            over_task(sa.func.lag(history.changed_at)).label("from_started_at"),
        )
        .where(history.change_type.in_(("Creation", "Status Change")))
        .subquery("moves")
    )
    stretches = sa.select(
        moves,
        _working_coordinate(_epoch_seconds(moves.c.started_at)).label("started_w"),
        sa.case((moves.c.ended_at.is_not(None), _working_coordinate(_epoch_seconds(moves.c.ended_at)))).label("ended_w"),
    ).subquery("stretches")
    running = stretches.c.status.in_(list(CLOCK_STATUSES))
    ended = stretches.c.ended_at.is_not(None)
    wall = sa.case((running & ended, _epoch_seconds(stretches.c.ended_at) - _epoch_seconds(stretches.c.started_at)),
                   else_=sa.literal(0.0, sa.Float))
    work = sa.case((running & ended, stretches.c.ended_w - stretches.c.started_w), else_=sa.literal(0.0, sa.Float))

    def used_before(part):
        """The sum of `part` over the task's earlier stretches (0 for the first)."""
        return sa.func.coalesce(
            sa.func.sum(part).over(partition_by=stretches.c.task_id, order_by=stretches.c.step) - part,
            sa.literal(0.0, sa.Float),
        )

    # History keeps statuses as JSON text; PostgreSQL wants them cast to its enum type.
    columns = ("task_id", "step", "status", "from_status", "started_at", "ended_at", "from_started_at", "clock_before_s",
               "started_w", "ended_w", "work_clock_before_s")
    connection.execute(
        sa.insert(task_status_intervals).from_select(
            columns,
            sa.select(stretches.c.task_id, stretches.c.step, sa.cast(stretches.c.status, _task_status),
                      sa.cast(stretches.c.from_status, _task_status), stretches.c.started_at, stretches.c.ended_at,
                      stretches.c.from_started_at, used_before(wall), stretches.c.started_w, stretches.c.ended_w,
                      used_before(work)),
        )
    )
    interval = task_status_intervals.c
    connection.execute(
        sa.update(tasks).values(
            status_since=_current(interval.started_at),
            sla_clock_s=sa.func.coalesce(_current(interval.clock_before_s), 0.0),
            first_started_at=sa.select(sa.func.min(interval.started_at))
            .where(interval.task_id == tasks.c.id, interval.status == "In Progress")
            .scalar_subquery(),
            status_since_w=_current(interval.started_w),
            sla_work_clock_s=sa.func.coalesce(_current(interval.work_clock_before_s), 0.0),
        )
    )
