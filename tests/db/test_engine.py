"""Database URLs as hosting platforms hand them out."""
import pytest

from db import make_engine


@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "postgresql+psycopg2"])
def test_a_postgresql_url_without_a_driver_uses_the_installed_one(scheme):
    engine = make_engine(f"{scheme}://app:secret@db.example.com:5432/workflow")
    try:
        assert engine.url.drivername == "postgresql+psycopg2"
        assert (engine.url.host, engine.url.database, engine.url.password) == ("db.example.com", "workflow", "secret")
    finally:
        engine.dispose()
