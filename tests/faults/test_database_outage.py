"""PostgreSQL stopped for 5 s under load, then started again, behind the production server (the Procfile's `web`:
gunicorn, 2 workers x 4 threads). While it is away a request succeeds or is a 503 with Retry-After, never a 500;
once it is back every request succeeds; no write is left half done."""
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

import db
from app import create_app
from db.migrate import upgrade
from db.models import Priority, Role
from tests.conftest import BACKEND, config_for, free_port
from workflow import tasks, users

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(BACKEND != "postgresql", reason="database outages are tested against PostgreSQL (run once, there)"),
]

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "outage-password-1"
TASKS = 12
WARM_UP_SECONDS = 3
OUTAGE_SECONDS = 5
#: Once the server accepts connections again, this long for the app to notice before every request must succeed.
RECOVERY_GRACE_SECONDS = 2
AFTER_SECONDS = 6
#: Statuses that are a success for each kind of request (409/412: a PATCH lost a race to the other writer).
SUCCESS = {
    "list": {200}, "get": {200}, "patch": {200, 409, 412}, "login": {200}, "form login": {302},
    "page": {200}, "callback": {200, 204},
}
#: The kinds answered in HTML (the portal's page and form); the others in JSON.
HTML_KINDS = {"page", "form login"}


@dataclass
class Outcome:
    kind: str
    started: float
    ended: float
    status: int | str  # the HTTP status, or the name of the client's exception
    well_formed: bool = True  # a 503 carries Retry-After and the error body its kind promises


def _csrf(http: requests.Session, url: str) -> str:
    page = http.get(f"{url}/login", timeout=30)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _well_formed(kind: str, response: requests.Response) -> bool:
    if response.status_code != 503:
        return True
    if response.headers.get("Retry-After") != str(db.RETRY_AFTER_SECONDS):
        return False
    if kind in HTML_KINDS:
        return response.headers["Content-Type"].startswith("text/html") and "Temporarily unavailable" in response.text
    return response.json()["error"]["code"] == "service_unavailable"


class Load:
    """Threads sending each kind of request in a loop; every answer is kept as an Outcome."""

    def __init__(self, url: str, token: str, portal: requests.Session, task_ids: list[str]):
        self.url, self.token, self.portal, self.task_ids = url, token, portal, task_ids
        self.outcomes: list[Outcome] = []
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._loop, args=(work,), daemon=True) for work in (
            self._list, self._list, self._patch, self._patch, self._login, self._page, self._callback,
        )]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def _loop(self, work) -> None:
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {self.token}"
        rng = random.Random()
        while not self.stopping.is_set():
            work(api, rng)
            time.sleep(0.01)

    def _call(self, kind: str, send) -> requests.Response | None:
        started = time.monotonic()
        try:
            response = send()
        except requests.RequestException as exc:
            self.outcomes.append(Outcome(kind, started, time.monotonic(), type(exc).__name__, False))
            return None
        self.outcomes.append(Outcome(kind, started, time.monotonic(), response.status_code, _well_formed(kind, response)))
        return response

    def _list(self, api, _rng) -> None:
        self._call("list", lambda: api.get(f"{self.url}/api/tasks?limit=20", timeout=30))

    def _patch(self, api, rng) -> None:
        task_id = rng.choice(self.task_ids)
        got = self._call("get", lambda: api.get(f"{self.url}/api/tasks/{task_id}", timeout=30))
        if got is not None and got.status_code == 200:
            title = f"Edited {uuid.uuid4().hex[:8]}"
            self._call("patch", lambda: api.patch(
                f"{self.url}/api/tasks/{task_id}", json={"title": title}, headers={"If-Match": got.headers["ETag"]},
                timeout=30))

    def _login(self, _api, _rng) -> None:
        self._call("login", lambda: requests.post(
            f"{self.url}/api/auth/login", json={"username": "boss", "password": PASSWORD}, timeout=30))
        form = requests.Session()
        data = {"username": "ada", "password": PASSWORD, "csrf_token": _csrf(form, self.url), "next": "/board"}
        self._call("form login", lambda: form.post(f"{self.url}/login", data=data, allow_redirects=False, timeout=30))

    def _page(self, _api, _rng) -> None:
        self._call("page", lambda: self.portal.get(f"{self.url}/board", timeout=30))

    def _callback(self, _api, _rng) -> None:
        self._call("callback", lambda: self.portal.post(f"{self.url}/_dash-update-component", json={
            "output": "bell-count.children", "outputs": {"id": "bell-count", "property": "children"},
            "inputs": [{"id": "bell-interval", "property": "n_intervals", "value": 1}],
            "changedPropIds": ["bell-interval.n_intervals"],
            "state": [{"id": "bell-count", "property": "children", "value": "?"}],
        }, timeout=30))


def _ready(url: str) -> bool:
    try:
        return requests.get(f"{url}/readyz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def web(cluster, tmp_path_factory):
    """The Procfile's `web` on the cluster: schema migrated, an Admin and an Agent, TASKS tasks."""
    upgrade(cluster.url)
    with create_app(config_for(cluster.url)).app_context():
        boss = users.create_user(actor=None, username="boss", email="boss@example.com", full_name="Boss",
                                 role=Role.ADMIN, password=PASSWORD)
        users.create_user(actor=None, username="ada", email="ada@example.com", full_name="Ada Agent",
                          role=Role.AGENT, password=PASSWORD)
        task_ids = [str(tasks.create_task(actor=boss, title=f"Outage task {n}", priority=Priority.MEDIUM).id)
                    for n in range(TASKS)]
    for engine in db._engines.values():
        if engine.url.port == cluster.port:
            engine.dispose()
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "DATABASE_URL": cluster.url,
        "SECRET_KEY": "outage-secret-key-long-enough-0123456789abcdef",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "4",
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_COST": "1024",
        "LOG_JSON": "false",
    }
    for name in ("REDIS_URL", "TEST_DATABASE_URL"):
        env.pop(name, None)
    log_path = tmp_path_factory.mktemp("outage") / "web.log"
    with open(log_path, "ab") as log:
        server = subprocess.Popen(["scripts/procfile", "web"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while not _ready(url):
        if time.monotonic() > deadline or server.poll() is not None:
            os.killpg(server.pid, signal.SIGKILL)
            pytest.fail(f"the web process did not answer /readyz:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.25)
    yield url, task_ids, log_path
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def _server_errors(log_path: Path) -> str:
    """The web process's tracebacks (what a 500 was), else the end of its log."""
    text = log_path.read_text()
    tracebacks = [part for part in text.split("\n[") if "Traceback" in part]
    return "\n[".join(tracebacks)[-6000:] if tracebacks else text[-3000:]


def _figures(outcomes: list[Outcome]) -> str:
    lines = []
    for kind in SUCCESS:
        counts = Counter(str(o.status) for o in outcomes if o.kind == kind)
        lines.append(f"  {kind:<10} {sum(counts.values()):>5}  " + ", ".join(f"{s}: {n}" for s, n in sorted(counts.items())))
    total = Counter(str(o.status) for o in outcomes)
    lines.append(f"  {'all':<10} {len(outcomes):>5}  " + ", ".join(f"{s}: {n}" for s, n in sorted(total.items())))
    return "\n".join(lines)


def _start_load(url: str, task_ids: list[str]) -> Load:
    """The load of an Admin's API client and an Agent's portal session, started."""
    token = requests.post(f"{url}/api/auth/login", json={"username": "boss", "password": PASSWORD}, timeout=30).json()
    portal = requests.Session()
    signed_in = portal.post(f"{url}/login", data={"username": "ada", "password": PASSWORD, "csrf_token": _csrf(portal, url)},
                            allow_redirects=False, timeout=30)
    assert signed_in.status_code == 302, signed_in.text
    load = Load(url, token["access_token"], portal, task_ids)
    load.start()
    return load


def _edits(cluster) -> int:
    """The edits made so far, after checking each is whole: one Edit row per version after the Creation row, and
    the task's title the one its last row says."""
    rows = cluster.query(
        "SELECT t.version, t.title, count(h.id), (SELECT h2.new_value->>'title' FROM task_history h2 WHERE h2.task_id = t.id "
        "ORDER BY h2.changed_at DESC, h2.id DESC LIMIT 1) FROM tasks t LEFT JOIN task_history h ON h.task_id = t.id "
        "GROUP BY t.id, t.version, t.title"
    )
    assert len(rows) == TASKS
    assert all(version == history and title == last_title for version, title, history, last_title in rows), rows
    return sum(version - 1 for version, *_ in rows)


def _assert_no_lost_or_phantom_edits(load: Load, edits: int) -> None:
    """Every PATCH answered 200 is there; one answered 503 may or may not be (its commit may have reached the server)."""
    patched = Counter(o.status for o in load.outcomes if o.kind == "patch")
    assert patched[200] <= edits <= patched[200] + patched[503], (patched, edits)


def test_a_database_outage_is_503_while_it_lasts_and_nothing_after(cluster, web):
    url, task_ids, log_path = web
    edits_before = _edits(cluster)
    load = _start_load(url, task_ids)
    time.sleep(WARM_UP_SECONDS)
    stopping = time.monotonic()
    cluster.stop()
    time.sleep(OUTAGE_SECONDS)
    cluster.start()
    recovered = time.monotonic() + RECOVERY_GRACE_SECONDS
    time.sleep(RECOVERY_GRACE_SECONDS + AFTER_SECONDS)
    load.stop()

    phases = {"before": [], "during": [], "after": []}
    for o in load.outcomes:  # a request that overlaps the outage (or the grace after it) is one during it
        phases["before" if o.ended < stopping else "after" if o.started >= recovered else "during"].append(o)
    before, during, after = phases["before"], phases["during"], phases["after"]
    print(f"\nbefore the outage:\n{_figures(before)}\nduring it (and {RECOVERY_GRACE_SECONDS} s after):\n"
          f"{_figures(during)}\nafter it:\n{_figures(after)}")
    failed_before = [o for o in before if o.status not in SUCCESS[o.kind]]
    assert not failed_before, failed_before[:5]
    unexpected = [o for o in during if o.status not in SUCCESS[o.kind] | {503} or not o.well_formed]
    assert not unexpected, (unexpected[:5], _server_errors(log_path))
    assert any(o.status == 503 for o in during), "the outage was not seen: no 503"
    failed_after = [o for o in after if o.status not in SUCCESS[o.kind]]
    assert not failed_after, (failed_after[:5], _server_errors(log_path))
    assert {o.kind for o in after if o.status in SUCCESS[o.kind]} == set(SUCCESS), "every kind succeeds again"
    _assert_no_lost_or_phantom_edits(load, _edits(cluster) - edits_before)


def test_a_restart_while_nobody_asks_fails_no_request_after_it(cluster, web):
    """Every pooled connection dies with the restart, unnoticed: the first requests after it must not fail on them."""
    url, task_ids, log_path = web
    edits_before = _edits(cluster)
    warm = _start_load(url, task_ids)  # every worker's pools hold connections
    time.sleep(WARM_UP_SECONDS)
    warm.stop()
    assert all(o.status in SUCCESS[o.kind] for o in warm.outcomes)
    cluster.stop()
    cluster.start()
    load = _start_load(url, task_ids)
    time.sleep(AFTER_SECONDS)
    load.stop()
    print(f"\nafter a restart with the pools full:\n{_figures(load.outcomes)}")
    failed = [o for o in load.outcomes if o.status not in SUCCESS[o.kind]]
    assert not failed, (failed[:5], _server_errors(log_path))
    _assert_no_lost_or_phantom_edits(load, _edits(cluster) - edits_before - Counter(o.status for o in warm.outcomes if o.kind == "patch")[200])
