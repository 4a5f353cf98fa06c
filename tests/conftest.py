"""Test fixtures: a real database per run (SQLite or PostgreSQL), one rolled-back transaction per test."""
import itertools
import os
import socket
import threading
import time
import uuid

import psycopg2
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

import db
from app import create_app
from auth.tokens import issue_token
from config import TestingConfig
from db.migrate import upgrade
from db.models import Priority, Role, User
from workflow import tasks, users

BACKEND = os.environ.get("TEST_DATABASE", "sqlite")
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
PASSWORD = "correct-horse-battery"


def pytest_report_header(config):
    return f"database backend: {BACKEND}"


def free_port() -> int:
    """A TCP port nothing listens on now, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(check, timeout: float, what: str, every: float = 0.25):
    """The first truthy result of `check()` within `timeout` seconds, else a failure naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(every)
    pytest.fail(f"{what}: not within {timeout} s")


class TcpProxy:
    """A TCP proxy in front of `target` (http://host:port) with a real network's faults, changeable while it
    runs: every answer held `answer_delay` seconds (a slow server: the request arrives at once, its answer late
    or, past the client's timeout, never), uploads at most `upload_rate` bytes a second (a slow link)."""

    def __init__(self, target: str, answer_delay: float = 0.0, upload_rate: int | None = None):
        host, port = target.rsplit("//", 1)[1].split(":")
        self.target, self.answer_delay, self.upload_rate = (host, int(port)), answer_delay, upload_rate
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, upload: bool) -> None:
        try:
            while chunk := source.recv(16384):
                if not upload and self.answer_delay:
                    time.sleep(self.answer_delay)
                sink.sendall(chunk)
                if upload and self.upload_rate:
                    time.sleep(len(chunk) / self.upload_rate)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.listener.close()


def _admin_connection():
    url = make_url(POSTGRES_ADMIN_URL)
    connection = psycopg2.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password, dbname=url.database
    )
    connection.autocommit = True
    return connection


def create_postgres_database(prefix: str) -> str:
    """A fresh, empty PostgreSQL database; returns its URL."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    connection = _admin_connection()
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    for engine in list(db._engines.values()):
        if engine.url.database == name:
            engine.dispose()
    connection = _admin_connection()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    connection.close()


@pytest.fixture(scope="session")
def fresh_database(tmp_path_factory):
    """A factory of fresh migrated databases of this run's backend, all dropped at the end."""
    created = []

    def make(prefix: str = "wm_test") -> str:
        if BACKEND == "postgresql":
            url = create_postgres_database(prefix)
            created.append(url)
        else:
            url = f"sqlite:///{tmp_path_factory.mktemp(prefix) / 'test.db'}"
        upgrade(url)
        return url

    yield make
    for url in created:
        drop_postgres_database(url)


@pytest.fixture(scope="session")
def database_url(fresh_database):
    return fresh_database()


def config_for(url: str, **overrides) -> type:
    return type("Config", (TestingConfig,), {"DATABASE_URL": url, **overrides})


@pytest.fixture
def app(database_url):
    """The app with every session pinned to one connection whose transaction is rolled back."""
    application = create_app(config_for(database_url))
    connection = application.extensions["db_engine"].connect()
    transaction = connection.begin()
    application.extensions["db_bind"] = connection
    yield application
    db.session.remove()
    transaction.rollback()
    connection.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    """Create a user of a role (committed inside the test's transaction)."""
    counter = itertools.count(1)

    def make(role: Role = Role.AGENT, **fields):
        n = next(counter)
        name = fields.pop("username", f"{role.value.lower()}{n}_{uuid.uuid4().hex[:6]}")
        with app.app_context():
            return users.create_user(
                actor=None,
                username=name,
                email=fields.pop("email", f"{name}@example.com"),
                full_name=fields.pop("full_name", f"{role.value} {n}"),
                role=role,
                password=fields.pop("password", PASSWORD),
                department=fields.pop("department", "Support"),
                **fields,
            )

    return make


@pytest.fixture
def people(make_user):
    """One user per role, plus a second agent."""
    return {
        "admin": make_user(Role.ADMIN),
        "manager": make_user(Role.MANAGER),
        "agent": make_user(Role.AGENT),
        "other_agent": make_user(Role.AGENT),
        "viewer": make_user(Role.VIEWER),
    }


@pytest.fixture
def auth_headers(app):
    """Bearer headers for a user, at their credential version as stored now (as a sign-in would issue)."""

    def headers(user) -> dict:
        with app.test_request_context():
            version = db.session.scalar(select(User.credential_version).where(User.id == user.id))
            token, _ = issue_token(user.id, version if version is not None else user.credential_version)
        return {"Authorization": f"Bearer {token}"}

    return headers


@pytest.fixture
def make_task(app):
    """Create a task as `creator` through the workflow layer."""

    def make(creator, **fields):
        fields.setdefault("title", "Investigate login failures")
        fields.setdefault("priority", Priority.MEDIUM)
        with app.app_context():
            return tasks.create_task(actor=creator, **fields)

    return make


@pytest.fixture
def ctx(app):
    """An app context for tests that call service functions directly."""
    with app.app_context():
        yield


class LiveServer:
    def __init__(self, app):
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(fresh_database):
    """The app served over HTTP by a real threaded server, on its own committed database."""
    application = create_app(config_for(fresh_database("wm_live"), LOGIN_MAX_FAILURES_PER_ADDRESS=10_000))
    server = LiveServer(application).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def aws_endpoint():
    """moto in server mode: a real HTTP endpoint boto3 talks to; returns its URL.

    Port 0 and ask (a taken port would hang the server); fake credentials so nothing real is touched.
    """
    from moto.server import ThreadedMotoServer

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ[name] = value
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def _fresh_aws_state(request):
    """After a test that used the AWS endpoint, empty moto: no test sees another's buckets or messages."""
    yield
    if "aws_endpoint" in request.fixturenames:
        import urllib.request

        endpoint = request.getfixturevalue("aws_endpoint")
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")).close()


class Inbox:
    """A real SMTP server (aiosmtpd) on a free port: `.url` to send to, `.messages` what it received."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages = []
        # aiosmtpd's start() connects to its own port to check it is up, so port 0 cannot be used.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=port)
        self.url = f"smtp://127.0.0.1:{port}"

    async def handle_DATA(self, _server, _session, envelope):
        from email import message_from_bytes
        from email.policy import default as default_policy

        message = message_from_bytes(envelope.original_content, policy=default_policy)
        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "message": message})
        return "250 OK"


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free port; `.messages` holds what it received."""
    inbox = Inbox()
    inbox.controller.start()
    yield inbox
    inbox.controller.stop()
