"""A database that cannot be reached is a 503 with Retry-After (the API's envelope, the portal's page, Dash's JSON),
never a 500; a bug (a missing table) is still a 500."""
import sqlite3
import uuid

import psycopg2
import pytest
from sqlalchemy.exc import (
    DisconnectionError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

import db
from app import create_app
from auth import SESSION_VERSION_KEY
from db.migrate import upgrade
from db.models import Role
from tests.conftest import (
    BACKEND,
    config_for,
    create_postgres_database,
    drop_postgres_database,
    free_port,
)
from workflow import users

CSRF = "csrf-token-of-this-test"


@pytest.fixture
def unreachable_url(tmp_path):
    """A database URL nothing answers at: a closed port (PostgreSQL), a directory (SQLite cannot open it)."""
    if BACKEND == "postgresql":
        return f"postgresql+psycopg2://postgres@127.0.0.1:{free_port()}/nowhere"
    return f"sqlite:///{tmp_path}"


@pytest.fixture
def unmigrated_url(tmp_path):
    """A reachable database without the schema: every query is a bug (no such table), not an outage."""
    if BACKEND == "postgresql":
        url = create_postgres_database("wm_unmigrated")
        yield url
        drop_postgres_database(url)
    else:
        yield f"sqlite:///{tmp_path / 'empty.db'}"


def _client(url: str):
    """A client of the app on `url`, signed into the portal as some user, with Flask's own 500s (not re-raised)."""
    client = create_app(config_for(url, PROPAGATE_EXCEPTIONS=False)).test_client()
    with client.session_transaction() as portal_session:
        portal_session["_user_id"] = str(uuid.uuid4())
        portal_session["_fresh"] = True
        portal_session["csrf_token"] = CSRF
    return client


def _bell_poll(client):
    return client.post("/_dash-update-component", json={
        "output": "bell-count.children", "outputs": {"id": "bell-count", "property": "children"},
        "inputs": [{"id": "bell-interval", "property": "n_intervals", "value": 1}],
        "changedPropIds": ["bell-interval.n_intervals"], "state": [{"id": "bell-count", "property": "children", "value": ""}],
    })


def _assert_unavailable_json(response):
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert response.headers["Retry-After"] == str(db.RETRY_AFTER_SECONDS)
    assert response.json["error"]["code"] == "service_unavailable"
    assert set(response.json["error"]) == {"code", "message", "details"}


def _assert_unavailable_page(response):
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert response.headers["Retry-After"] == str(db.RETRY_AFTER_SECONDS)
    assert response.mimetype == "text/html"
    assert "Temporarily unavailable" in response.get_data(as_text=True)


def test_the_api_answers_503_with_retry_after_when_the_database_is_away(unreachable_url, make_user, auth_headers):
    headers = auth_headers(make_user())  # a valid token: the request gets as far as loading its user
    client = _client(unreachable_url)
    _assert_unavailable_json(client.get("/api/tasks", headers=headers))
    _assert_unavailable_json(client.patch(f"/api/tasks/{uuid.uuid4()}", json={"title": "x"}, headers={**headers, "If-Match": '"1"'}))
    _assert_unavailable_json(client.post("/api/auth/login", json={"username": "someone", "password": "some-password"}))
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.headers["Retry-After"] == str(db.RETRY_AFTER_SECONDS)


def test_the_portal_answers_a_page_and_dash_json_with_503_when_the_database_is_away(unreachable_url):
    client = _client(unreachable_url)
    _assert_unavailable_page(client.get("/board"))
    _assert_unavailable_page(client.post("/login", data={"username": "someone", "password": "pw", "csrf_token": CSRF}))
    _assert_unavailable_page(client.post("/logout", data={"csrf_token": CSRF}))
    _assert_unavailable_json(_bell_poll(client))


@pytest.mark.skipif(BACKEND != "sqlite", reason="on PostgreSQL tests/faults stops and starts a real server")
def test_the_next_request_after_the_outage_gets_a_fresh_connection(tmp_path):
    path = tmp_path / "later.db"
    path.mkdir()  # not a database file yet: SQLite cannot open it
    client = _client(f"sqlite:///{path}")
    _assert_unavailable_json(client.post("/api/auth/login", json={"username": "someone", "password": "some-password"}))
    path.rmdir()
    upgrade(f"sqlite:///{path}")
    assert client.get("/readyz").status_code == 200
    assert client.post("/api/auth/login", json={"username": "someone", "password": "some-password"}).status_code == 401


@pytest.mark.skipif(BACKEND != "postgresql", reason="ends a PostgreSQL server process of the request's own")
def test_a_connection_lost_after_the_answer_neither_fails_it_nor_the_next_request(fresh_database):
    """The server goes away between a POST's last query and the end of the request, whose session then rolls back
    on a dead connection: the answer computed stands, and the thread's next request gets a fresh session."""
    application = create_app(config_for(fresh_database("wm_lost"), PROPAGATE_EXCEPTIONS=False))
    ended = []

    @application.after_request
    def end_the_connection(response):
        if not ended:  # the first request only
            backend = db.session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with db.engine().connect().execution_options(isolation_level="AUTOCOMMIT") as other:
                other.exec_driver_sql(f"SELECT pg_terminate_backend({backend})")
            ended.append(backend)
        return response

    with application.app_context():
        agent = users.create_user(actor=None, username="ada", email="ada@example.com", full_name="Ada",
                                  role=Role.AGENT, password="a-long-enough-password")
    client = application.test_client()
    with client.session_transaction() as portal_session:
        portal_session.update({"_user_id": str(agent.id), "_fresh": True, SESSION_VERSION_KEY: agent.credential_version})
    first = _bell_poll(client)  # each request in its own app context, released at its end
    second = _bell_poll(client)
    assert ended and first.status_code == 200, first.get_data(as_text=True)[:300]
    assert second.status_code == 200, second.get_data(as_text=True)[:300]


def test_a_missing_table_is_still_a_500(unmigrated_url):
    """A bug, not an outage: ProgrammingError on PostgreSQL, SQLite's generic OperationalError ("no such table")."""
    client = _client(unmigrated_url)
    api = client.post("/api/auth/login", json={"username": "someone", "password": "some-password"})
    assert api.status_code == 500 and api.json["error"]["code"] == "internal_error"
    assert "Retry-After" not in api.headers
    page = client.get("/board")
    assert page.status_code == 500 and "Retry-After" not in page.headers
    assert _bell_poll(client).status_code == 500


def _sqlite_error(statement: str, database: str = ":memory:") -> sqlite3.Error:
    try:
        sqlite3.connect(database).execute(statement)
    except sqlite3.Error as exc:
        return exc
    raise AssertionError("no error")


def _postgres_refused() -> psycopg2.Error:
    try:
        psycopg2.connect(host="127.0.0.1", port=free_port(), user="postgres", connect_timeout=2)
    except psycopg2.Error as exc:
        return exc
    raise AssertionError("no error")


@pytest.mark.parametrize(
    ("make", "outage"),
    [
        (lambda: OperationalError("SELECT 1", None, _postgres_refused()), True),
        (lambda: InterfaceError("SELECT 1", None, psycopg2.InterfaceError("connection already closed")), True),
        (lambda: ProgrammingError("SELECT 1", None, psycopg2.ProgrammingError("syntax error"), connection_invalidated=True), True),
        (lambda: DisconnectionError("ping failed"), True),
        (lambda: PoolTimeout("QueuePool limit reached"), True),
        (lambda: OperationalError("SELECT 1", None, _sqlite_error("SELECT 1", "/")), True),  # cannot open
        (lambda: ProgrammingError("SELECT 1", None, psycopg2.ProgrammingError("relation does not exist")), False),
        (lambda: IntegrityError("INSERT", None, psycopg2.IntegrityError("duplicate key")), False),
        (lambda: OperationalError("SELECT", None, _sqlite_error("SELECT * FROM nowhere")), False),  # no such table
        (lambda: InterfaceError("SELECT", None, sqlite3.InterfaceError("bad parameter")), False),
        (lambda: ValueError("not a database error"), False),
    ],
    ids=[
        "refused", "closed", "invalidated", "disconnection", "pool-timeout", "sqlite-cannot-open",
        "programming", "integrity", "sqlite-no-such-table", "sqlite-binding", "other",
    ],
)
def test_which_errors_mean_the_database_is_away(make, outage):
    assert db.unavailable(make()) is outage
