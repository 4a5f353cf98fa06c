"""Analytics facts: stretches begun and ended per day and status alone (DAY_ENTERED, DAY_LEFT), so the
cumulative flow reads a few rows a day instead of ENTERED's and LEFT's rows per duration bucket.

Facts derived before this revision lack them: a database that holds tasks marks its facts not
ready, and the scheduled duty (or `flask reports rebuild`) derives them again; the reports compute
from the history until then.

Revision ID: 0035
Revises: 0034
"""
import sqlalchemy as sa
from alembic import op

import db.types

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

#: The measures this revision adds (reports/facts.py).
DAY_ENTERED, DAY_LEFT = 14, 15


def upgrade() -> None:
    if op.get_bind().execute(sa.text("SELECT 1 FROM tasks LIMIT 1")).first() is None:
        return
    state = sa.table("report_fact_state", sa.column("id"), sa.column("ready"), sa.column("reason"),
                     sa.column("progress"), sa.column("changed_at", db.types.UTCDateTime(timezone=True)))
    op.execute(state.update().where(state.c.id == 1).values(
        ready=False, reason="new measures: stretches per day", progress=0, changed_at=db.types.utcnow()))


def downgrade() -> None:
    op.execute(sa.text(f"DELETE FROM report_facts WHERE measure IN ({DAY_ENTERED}, {DAY_LEFT})"))
