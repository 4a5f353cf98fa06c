"""Database engine and the request-scoped session."""
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import scoped_session, sessionmaker

#: The one session registry; `workflow/` commits through it, everything else only reads.
session = scoped_session(sessionmaker(expire_on_commit=False))

_engine: Engine | None = None


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
    """The engine configured by `init_app`."""
    if _engine is None:
        raise RuntimeError("database not initialised: call db.init_app(app)")
    return _engine


def init_app(app) -> None:
    """Bind the session to the app's DATABASE_URL and release it after each request."""
    global _engine
    if _engine is None or str(_engine.url) != app.config["DATABASE_URL"]:
        if _engine is not None:
            _engine.dispose()
        _engine = make_engine(app.config["DATABASE_URL"], app.config.get("DATABASE_POOL_SIZE", 5))
    session.remove()
    session.configure(bind=_engine)
    app.teardown_appcontext(lambda _exc: session.remove())

    from db import cli

    cli.init_app(app)
