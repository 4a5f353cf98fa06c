"""Analytics facts: two more measures, every task's status now (CURRENT) and open tasks by due date (DUE),
so the cumulative flow reads only the days after its first one and the workload reads the facts.

Facts derived before this revision lack them: a database that holds tasks marks its facts not
ready, and the scheduled duty (or `flask reports rebuild`) derives them again; the reports compute
from the history until then.

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

import db.types

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

#: The measures this revision adds (reports/facts.py).
CURRENT, DUE = 9, 10


def upgrade() -> None:
    if op.get_bind().execute(sa.text("SELECT 1 FROM tasks LIMIT 1")).first() is None:
        return
    state = sa.table("report_fact_state", sa.column("id"), sa.column("ready"), sa.column("reason"),
                     sa.column("progress"), sa.column("changed_at", db.types.UTCDateTime(timezone=True)))
    op.execute(state.update().where(state.c.id == 1).values(
        ready=False, reason="new measures: statuses now and due dates", progress=0, changed_at=db.types.utcnow()))


def downgrade() -> None:
    op.execute(sa.text(f"DELETE FROM report_facts WHERE measure IN ({CURRENT}, {DUE})"))
