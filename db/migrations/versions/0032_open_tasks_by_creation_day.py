"""Analytics facts: open tasks by the day they were created, with their due day and hour (OPEN_CREATED), in place
of open tasks by due day alone (DUE), so the workload of a period reads the facts too.

Facts derived before this revision lack them: a database that holds tasks marks its facts not
ready, and the scheduled duty (or `flask reports rebuild`) derives them again; the reports compute
from the history until then.

Revision ID: 0032
Revises: 0031
"""
import sqlalchemy as sa
from alembic import op

import db.types

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

#: The measure this revision retires, and the one it adds (reports/facts.py).
DUE, OPEN_CREATED = 10, 11


def _mark_stale(reason: str) -> None:
    if op.get_bind().execute(sa.text("SELECT 1 FROM tasks LIMIT 1")).first() is None:
        return
    state = sa.table("report_fact_state", sa.column("id"), sa.column("ready"), sa.column("reason"),
                     sa.column("progress"), sa.column("changed_at", db.types.UTCDateTime(timezone=True)))
    op.execute(state.update().where(state.c.id == 1).values(
        ready=False, reason=reason, progress=0, changed_at=db.types.utcnow()))


def upgrade() -> None:
    op.execute(sa.text(f"DELETE FROM report_facts WHERE measure = {DUE}"))
    _mark_stale("new measure: open tasks by creation day")


def downgrade() -> None:
    op.execute(sa.text(f"DELETE FROM report_facts WHERE measure = {OPEN_CREATED}"))
    _mark_stale("measures of an earlier version")
