"""A case's history by its tasks' moves: the few history rows that put a task in a case (its creation there or a
move) and those that took one out, indexed by that case, so the case page finds every task that was ever in it.

The expressions are the text the queries use (workflow/history.py): `->>` reads JSON on PostgreSQL and SQLite.
PostgreSQL keeps no statistics for a partial index's expression, and would guess that a case names thousands
of rows (and scan the table); statistics on the expressions tell it a case names a few.

Revision ID: 0025
Revises: 0024
"""
import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

#: Each index by name with the case it reads: the one a row put its task in, the one a row took it out of.
INDEXES = {
    "ix_task_history_into_case": "(new_value ->> 'case_id')",
    "ix_task_history_out_of_case": "(old_value ->> 'case_id')",
}


def _statistics(index: str) -> str:
    return index.replace("ix_", "st_", 1)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, case in INDEXES.items():
        # Only the rows that name a case: most rows change other fields.
        names_a_case = sa.text(f"{case} IS NOT NULL")
        op.create_index(name, "task_history", [sa.text(case)], postgresql_where=names_a_case, sqlite_where=names_a_case)
        if postgres:
            op.execute(f"CREATE STATISTICS {_statistics(name)} ON ({case}) FROM task_history")
    if postgres:
        op.execute("ANALYZE task_history")  # the first case page after the upgrade is planned right too


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name in INDEXES:
        if postgres:
            op.execute(f"DROP STATISTICS IF EXISTS {_statistics(name)}")
        op.drop_index(name, table_name="task_history")
