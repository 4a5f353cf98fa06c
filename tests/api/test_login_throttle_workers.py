"""The login throttle is exact across processes: 30 parallel wrong sign-ins against the Procfile's web process
(two gunicorn workers sharing Redis) let exactly the limit through, per account and per address."""
import os
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from app import create_app
from db.models import Role
from tests.conftest import BACKEND, config_for, free_port, wait_until
from workflow import users

ROOT = Path(__file__).resolve().parents[2]
#: A Redis database of this test's own; it deletes only the keys it made.
REDIS_URL = os.environ.get("THROTTLE_REDIS_URL", "redis://127.0.0.1:6379/13")
PER_ACCOUNT, PER_ADDRESS = 5, 20
PASSWORD = "throttle-password-1"

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(BACKEND != "postgresql", reason="starts the web process; run once, on PostgreSQL"),
]


@pytest.fixture(scope="module")
def redis_client():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("no Redis server")
    return client


@pytest.fixture(scope="module")
def web(fresh_database, redis_client, tmp_path_factory):
    """The Procfile's web process (2 workers x 4 threads) behind one trusted proxy hop, on a migrated database."""
    database_url = fresh_database("wm_throttle")
    app = create_app(config_for(database_url))
    with app.app_context():
        users.create_user(actor=None, username="throttled", email="throttled@example.com", full_name="Throttled",
                          role=Role.AGENT, password=PASSWORD)
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "DATABASE_URL": database_url, "SECRET_KEY": "throttle-secret-key-long-enough-0123456789abcdef",
        "REDIS_URL": REDIS_URL, "PORT": str(port), "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "4",
        "PROXY_COUNT": "1", "LOGIN_MAX_FAILURES_PER_ACCOUNT": str(PER_ACCOUNT),
        "LOGIN_MAX_FAILURES_PER_ADDRESS": str(PER_ADDRESS), "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST": "8192",
        "EMBEDDED_BACKGROUND": "false",
    }
    log = open(tmp_path_factory.mktemp("throttle") / "web.log", "wb")
    process = subprocess.Popen(["scripts/procfile", "web"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    url = f"http://127.0.0.1:{port}"

    def ready():
        try:
            return requests.get(f"{url}/readyz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_until(ready, 60, "the web process answers")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _storm(url: str, usernames: list[str], address: str) -> list[requests.Response]:
    """30 wrong sign-ins at once from `address` (as the proxy reports it)."""
    def attempt(username):
        return requests.post(f"{url}/api/auth/login", json={"username": username, "password": "wrong-password-0"},
                             headers={"X-Forwarded-For": address}, timeout=30)

    with ThreadPoolExecutor(max_workers=len(usernames)) as pool:
        return list(pool.map(attempt, usernames))


@pytest.fixture
def address(redis_client):
    """A client address of this test's own; its throttle keys are removed afterwards."""
    value = f"198.51.100.{uuid.uuid4().int % 250 + 1}"
    yield value
    redis_client.delete(f"workflow:login:address:{value}", "workflow:login:account:throttled")


def test_exactly_the_account_limit_gets_through(web, address):
    responses = _storm(web, ["throttled"] * 30, address)
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [401] * PER_ACCOUNT + [429] * (30 - PER_ACCOUNT)
    assert all(int(r.headers["Retry-After"]) >= 1 for r in responses if r.status_code == 429)
    # The account stays shut, whichever worker is asked and from wherever.
    right = requests.post(f"{web}/api/auth/login", json={"username": "throttled", "password": PASSWORD},
                          headers={"X-Forwarded-For": "203.0.113.9"}, timeout=30)
    assert right.status_code == 429


def test_exactly_the_address_limit_gets_through(web, address, redis_client):
    names = [f"guess-{uuid.uuid4().hex[:8]}" for _ in range(30)]
    try:
        responses = _storm(web, names, address)
    finally:
        redis_client.delete(*(f"workflow:login:account:{name}" for name in names))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [401] * PER_ADDRESS + [429] * (30 - PER_ADDRESS)
    # Another address is not held back by this one's failures.
    other = requests.post(f"{web}/api/auth/login", json={"username": "nobody-at-all", "password": "wrong-password-0"},
                          headers={"X-Forwarded-For": "203.0.113.77"}, timeout=30)
    assert other.status_code == 401
    redis_client.delete("workflow:login:address:203.0.113.77", "workflow:login:account:nobody-at-all")


def test_a_success_gives_its_place_back(web, address):
    for _ in range(PER_ADDRESS + 5):
        ok = requests.post(f"{web}/api/auth/login", json={"username": "throttled", "password": PASSWORD},
                           headers={"X-Forwarded-For": address}, timeout=30)
        assert ok.status_code == 200
