"""Database engine and the request-scoped session."""
import logging
import sqlite3
from pathlib import Path

from flask import current_app, has_request_context, request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, scoped_session, sessionmaker

log = logging.getLogger(__name__)

READ_ONLY_METHODS = frozenset({"GET", "HEAD"})
#: Seconds a client is asked to wait (`Retry-After`) when the database cannot be reached.
RETRY_AFTER_SECONDS = 5
#: A database host that does not answer fails the request (503) instead of holding a server thread
#: for the operating system's TCP timeout.
CONNECT_TIMEOUT_SECONDS = 5
#: What a database that cannot be reached raises; `unavailable` tells an outage from a bug among them.
DATABASE_ERRORS = (DBAPIError, DisconnectionError, PoolTimeout)
#: SQLite's generic result code: a mistake in the SQL (no such table, a syntax error), not an outage.
SQLITE_ERROR = 1


def unavailable(exc: BaseException) -> bool:
    """Whether `exc` means the database cannot be reached or cannot serve right now (a retry may work), not a bug."""
    if isinstance(exc, (DisconnectionError, PoolTimeout)):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    # PEP 249 keeps these two for the database's operation: connection refused or lost, server shutting
    # down or starting up, too many connections, deadlock, statement timeout. ProgrammingError,
    # IntegrityError, DataError and the rest are bugs or bad data, and stay what they were.
    if isinstance(exc.orig, sqlite3.Error):
        # SQLite's driver reports SQL mistakes as OperationalError too, and binding errors as InterfaceError.
        code = getattr(exc.orig, "sqlite_errorcode", SQLITE_ERROR)
        return isinstance(exc, OperationalError) and code != SQLITE_ERROR
    return isinstance(exc, (OperationalError, InterfaceError))


class AppSession(Session):
    """A session bound to the current app's database (tests may pin it to one connection).

    GET and HEAD requests only read: on PostgreSQL they run in autocommit, which saves the
    BEGIN and ROLLBACK round trips and sees what READ COMMITTED would (a snapshot per statement).
    """

    def get_bind(self, mapper=None, clause=None, **kwargs):
        extensions = current_app.extensions
        bind = extensions["db_bind"]
        read_bind = extensions.get("db_read_bind")
        if read_bind is not None and bind is extensions["db_engine"] and has_request_context():
            if request.method in READ_ONLY_METHODS:
                return read_bind
        return bind


#: The one session registry. Only `workflow/` commits through it, and the outbox dispatcher its own outbox
#: rows (notifications/dispatcher.py); everything else only reads. (The demo generator, jobs/demo.py,
#: bulk-loads through the engine, not the session.)
#: `create_savepoint` lets the test suite run each test inside an outer transaction it rolls back.
session = scoped_session(
    sessionmaker(class_=AppSession, expire_on_commit=False, join_transaction_mode="create_savepoint")
)

_engines: dict[str, Engine] = {}


def make_engine(url: str, pool_size: int = 5, autocommit: bool = False) -> Engine:
    """An engine for `url` with the settings each backend needs (`autocommit`: PostgreSQL reads)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _fix_sqlite(engine)
        return engine
    # Pre-ping: after a database restart every pooled connection is dead, and without the check each
    # would fail one request, writes included. It costs a `SELECT 1` round trip per checkout, about
    # 0.2 ms: within the noise of a task list page, 15 % of the cheapest read (the bell's count).
    options = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
    if parsed.drivername in ("postgres", "postgresql"):
        # postgres:// and postgresql:// as hosting platforms hand them out: the driver installed
        # here is psycopg2, where SQLAlchemy would otherwise look for another one.
        parsed = parsed.set(drivername="postgresql+psycopg2")
    # No JIT: the reports' SLA expressions look expensive to the planner, which then spends seconds
    # compiling a query that runs in milliseconds over the few rows an index hands it. Generic plans:
    # the statements prepared on the hot write path (db/prepared.py) are prepared to be planned once,
    # but by default PostgreSQL keeps planning one anew while a custom plan looks cheaper (1.2 ms of
    # planning for the SLA due update, which runs in 0.4 ms). Nothing else is prepared.
    connect_args = {"options": "-c jit=off -c plan_cache_mode=force_generic_plan"}
    if "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    options["connect_args"] = connect_args
    return create_engine(
        parsed, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800, pool_pre_ping=True, **options
    )


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
    engine = _engines[url]
    app.extensions["db_engine"] = engine
    app.extensions["db_bind"] = engine
    if engine.dialect.name == "postgresql":
        # Its own pool of connections that stay in autocommit: switching a shared connection in
        # and out of it costs two driver calls a request, a tenth of the cheapest read.
        read_key = url + "#read"
        if read_key not in _engines:
            _engines[read_key] = make_engine(url, app.config.get("DATABASE_POOL_SIZE", 5), autocommit=True)
        app.extensions["db_read_bind"] = _engines[read_key]
    app.teardown_appcontext(release_session)


def release_session(_exc: BaseException | None = None) -> None:
    """End the request's session; a connection lost since its last query is dropped, not an error.

    The answer is already computed: a POST that only read ends by rolling back, and a rollback on
    a connection the server closed raises. That must neither turn the answer into a 500 nor leave
    the thread a session still bound to the dead connection.
    """
    try:
        session.remove()
    except DATABASE_ERRORS as exc:
        if not unavailable(exc):
            raise
        log.warning("database connection lost at the end of a request: %s", str(exc).partition("\n")[0])
        session.registry.clear()
