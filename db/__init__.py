"""Database engine and the request-scoped session."""
from pathlib import Path

from flask import current_app
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, scoped_session, sessionmaker

class AppSession(Session):
    """A session bound to the current app's database (tests may pin it to one connection)."""

    def get_bind(self, mapper=None, clause=None, **kwargs):
        return current_app.extensions["db_bind"]


#: The one session registry; `workflow/` commits through it, everything else only reads.
#: `create_savepoint` lets the test suite run each test inside an outer transaction it rolls back.
session = scoped_session(
    sessionmaker(class_=AppSession, expire_on_commit=False, join_transaction_mode="create_savepoint")
)

_engines: dict[str, Engine] = {}


def make_engine(url: str, pool_size: int = 5) -> Engine:
    """An engine for `url` with the settings each backend needs."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _fix_sqlite(engine)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def _fix_sqlite(engine: Engine) -> None:
    """Foreign keys on, and let SQLAlchemy own BEGIN so savepoints and rollbacks work."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # IMMEDIATE takes the write lock up front, so two writers queue instead of deadlocking.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def engine() -> Engine:
    """The current app's engine."""
    return current_app.extensions["db_engine"]


def init_app(app) -> None:
    """Give the app its engine (one per URL per process) and release the session after each request."""
    url = app.config["DATABASE_URL"]
    if url not in _engines:
        _engines[url] = make_engine(url, app.config.get("DATABASE_POOL_SIZE", 5))
    app.extensions["db_engine"] = _engines[url]
    app.extensions["db_bind"] = _engines[url]
    app.teardown_appcontext(lambda _exc: session.remove())
