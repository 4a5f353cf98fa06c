"""Alembic is the only way the schema is made: the migrations match the models and run both ways."""
import ast
import re
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import column, insert, inspect, table, text

import db
from db.migrate import MIGRATIONS_DIR, downgrade, upgrade
from db.models import PRIORITY_RANK_SQL, STATUS_RANK_SQL, Base, Priority, Role, Task, TaskStatus, User

#: Made by the migration on PostgreSQL only (trigram search), so not in the portable models.
MIGRATION_ONLY_INDEXES = {"ix_tasks_title_trgm"}
USER_ID = uuid.UUID(int=99)
NOW = datetime(2026, 1, 2, tzinfo=timezone.utc)
#: Expression indexes, which Alembic cannot compare: checked by name and text below.
EXPRESSION_INDEXES = {"ix_tasks_priority_rank_id": PRIORITY_RANK_SQL, "ix_tasks_status_rank_id": STATUS_RANK_SQL}
#: Indexes with a descending column, which Alembic compares on PostgreSQL but not on SQLite: checked by name and
#: text below.
DESCENDING_INDEXES = {"ix_tasks_paused_clock": "sla_clock_s DESC", "ix_tasks_paused_work_clock": "sla_work_clock_s DESC"}


#: Application packages a migration must never import: it would change whenever they do.
APPLICATION_PACKAGES = {"api", "auth", "aws", "domain", "jobs", "notifications", "portal", "reports", "workflow", "app",
                        "cli"}


def _application_imports(path: Path) -> list[str]:
    """The modules of the application that the migration file at `path` imports (db.types aside)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: only application code could be there
                found.append("." * node.level + (node.module or ""))
                continue
            # `from db import types` is db.types; `from db import models` is not.
            modules = [f"{node.module}.{alias.name}" for alias in node.names] if node.module == "db" else [node.module]
        else:
            continue
        for module in modules:
            top = module.split(".")[0]
            if top in APPLICATION_PACKAGES or (top == "db" and module != "db.types"):
                found.append(module)
    return found


def _include(obj, name, type_, reflected, compare_to):
    return not (type_ == "index" and name in MIGRATION_ONLY_INDEXES | set(EXPRESSION_INDEXES) | set(DESCENDING_INDEXES))


def _index_definitions(connection) -> dict[str, str]:
    if connection.dialect.name == "postgresql":
        rows = connection.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'tasks'"))
    else:
        rows = connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tasks'"))
    return dict(rows.all())


def test_rank_indexes_exist_with_the_texts_the_queries_use(database_url):
    engine = db.make_engine(database_url)
    with engine.connect() as connection:
        definitions = _index_definitions(connection)
    engine.dispose()
    for name, expression in EXPRESSION_INDEXES.items():
        assert name in definitions
        # PostgreSQL normalises the text (casts, parentheses); the values and their order stay.
        for value in re.findall(r"'([^']+)'", expression):
            assert value in definitions[name]
    for name, column in DESCENDING_INDEXES.items():
        assert column in definitions[name]


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_migrated_schema_matches_the_models(database_url):
    engine = db.make_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": _include}
        )
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_downgrade_to_base_and_upgrade_again(fresh_database):
    url = fresh_database("wm_migrate")
    downgrade(url, "base")
    engine = db.make_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    upgrade(url)
    engine = db.make_engine(url)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_status_counters_start_from_the_tasks_already_there(fresh_database):
    url = fresh_database("wm_counters")
    downgrade(url, "0002")
    engine = db.make_engine(url)
    with engine.begin() as connection:
        # The tasks columns written here are the same at 0002 as in the models; the users table had fewer.
        values = dict(
            id=USER_ID, username="counter", email="counter@example.com", full_name="Counter", role=Role.AGENT,
            department="", phone=None, is_active=True, password_hash="x", created_at=NOW,
        )
        users_at_0002 = table("users", *(column(c.name, c.type) for c in User.__table__.c if c.name in values))
        connection.execute(insert(users_at_0002).values(**values))
        rows = [(TaskStatus.NEW, None), (TaskStatus.NEW, None), (TaskStatus.COMPLETED, None),
                (TaskStatus.COMPLETED, NOW), (TaskStatus.ON_HOLD, None)]
        connection.execute(insert(Task.__table__), [
            {"id": uuid.UUID(int=number + 1), "title": f"t{number}", "description": "", "status": status,
             "priority": Priority.LOW, "created_by": USER_ID, "created_at": NOW, "updated_at": NOW, "tags": [],
             "version": 1, "deleted_at": deleted}
            for number, (status, deleted) in enumerate(rows)
        ])
    upgrade(url)
    with engine.connect() as connection:
        counts = dict(connection.execute(text("SELECT status, live FROM task_status_counts")).all())
    engine.dispose()
    assert counts == {"New": 2, "In Progress": 0, "On Hold": 1, "Completed": 1, "Cancelled": 0}


def test_migrations_import_no_application_code():
    """A revision must do the same forever: it freezes what it needs instead of importing live code."""
    files = sorted((MIGRATIONS_DIR / "versions").glob("*.py"))
    assert files
    offenders = {path.name: imports for path in files if (imports := _application_imports(path))}
    assert offenders == {}


@pytest.mark.parametrize(("before", "after", "named"), [
    ("0017", "0018", "statuses now"),
    ("0019", "0020", "open breaches kept by hour"),
])
def test_facts_derived_before_a_change_of_measures_are_rebuilt(fresh_database, before, after, named):
    url = fresh_database(f"wm_facts{after}")
    downgrade(url, before)
    engine = db.make_engine(url)
    with engine.begin() as connection:
        connection.execute(insert(User.__table__).values(
            id=USER_ID, username="facts", email="facts@example.com", full_name="Facts", role=Role.AGENT,
            department="", phone=None, is_active=True, password_hash="x", created_at=NOW))
        connection.execute(insert(Task.__table__).values(
            id=uuid.UUID(int=1), title="t", description="", status=TaskStatus.NEW, priority=Priority.LOW,
            created_by=USER_ID, created_at=NOW, updated_at=NOW, tags=[], version=1))
        connection.execute(text("UPDATE report_fact_state SET ready = true, reason = ''"))
    upgrade(url, after)
    with engine.connect() as connection:
        ready, reason = connection.execute(text("SELECT ready, reason FROM report_fact_state")).one()
    engine.dispose()
    assert not ready and named in reason
