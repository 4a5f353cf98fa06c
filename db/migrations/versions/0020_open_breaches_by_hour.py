"""Analytics facts: open tasks past their SLA target are kept per hour of the day their target was
passed (OPEN_DUE's bucket), so a figure reads only the current hour's from the tasks.

Facts derived before this revision keep them per day: a database that holds tasks marks its facts
not ready, and the scheduled duty (or `flask reports rebuild`) derives them again; the reports
compute from the history until then.

Revision ID: 0020
Revises: 0019
"""
import sqlalchemy as sa
from alembic import op

import db.types

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

#: The measure whose rows this revision splits by hour (reports/facts.py).
OPEN_DUE = 7


def _mark_not_ready(reason: str) -> None:
    if op.get_bind().execute(sa.text("SELECT 1 FROM tasks LIMIT 1")).first() is None:
        return
    state = sa.table("report_fact_state", sa.column("id"), sa.column("ready"), sa.column("reason"),
                     sa.column("progress"), sa.column("changed_at", db.types.UTCDateTime(timezone=True)))
    op.execute(state.update().where(state.c.id == 1).values(
        ready=False, reason=reason, progress=0, changed_at=db.types.utcnow()))


def upgrade() -> None:
    _mark_not_ready("open breaches kept by hour")


def downgrade() -> None:
    _mark_not_ready("open breaches kept by day")
