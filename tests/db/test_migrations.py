"""Alembic is the only way the schema is made: the migrations match the models and run both ways."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import db
from db.migrate import downgrade, upgrade
from db.models import Base

#: Made by the migration on PostgreSQL only (trigram search), so not in the portable models.
MIGRATION_ONLY_INDEXES = {"ix_tasks_title_trgm"}


def _include(obj, name, type_, reflected, compare_to):
    return not (type_ == "index" and name in MIGRATION_ONLY_INDEXES)


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
