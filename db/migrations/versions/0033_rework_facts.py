"""Analytics facts: each reopen and hand-back with the day of the task's previous one (REOPENED, HANDED_BACK),
so the rework counts, their distinct tasks among them, read the facts too.

Facts derived before this revision lack them: a database that holds tasks marks its facts not
ready, and the scheduled duty (or `flask reports rebuild`) derives them again; the reports compute
from the history until then.

Revision ID: 0033
Revises: 0032
"""
import sqlalchemy as sa
from alembic import op

import db.types

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

#: The measures this revision adds (reports/facts.py).
REOPENED, HANDED_BACK = 12, 13


def upgrade() -> None:
    if op.get_bind().execute(sa.text("SELECT 1 FROM tasks LIMIT 1")).first() is None:
        return
    state = sa.table("report_fact_state", sa.column("id"), sa.column("ready"), sa.column("reason"),
                     sa.column("progress"), sa.column("changed_at", db.types.UTCDateTime(timezone=True)))
    op.execute(state.update().where(state.c.id == 1).values(
        ready=False, reason="new measures: reopens and hand-backs", progress=0, changed_at=db.types.utcnow()))


def downgrade() -> None:
    op.execute(sa.text(f"DELETE FROM report_facts WHERE measure IN ({REOPENED}, {HANDED_BACK})"))
