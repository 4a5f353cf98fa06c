"""The analytics page's "Export in background" in a real browser: a Dash background callback creates the
export's row, produces it with its progress on the bar up to 100 %, and shows the download link; the
row, the API and the in-app notice say the same.

The default server runs the job in a process forked from it (DiskCache); the Celery test runs it on a
Celery worker over Redis, as REDIS_URL deployments do."""
import json
import threading
import uuid

import pytest

from app import create_app
from db.models import Priority, Role, TaskStatus
from portal import background
from tests.conftest import PASSWORD, LiveServer, config_for
from tests.portal.conftest import SCREENSHOTS, screenshot, sign_in
from notifications import store
from workflow import exports, tasks, users

pytestmark = pytest.mark.live


def make_tasks(app, manager, marker: str) -> None:
    with app.app_context():
        for number in range(6):
            task = tasks.create_task(actor=manager, title=f"Export flow {number} {marker}", tags=[marker],
                                     priority=list(Priority)[number % 4])
            tasks.change_status(actor=manager, task_id=task.id, status=TaskStatus.IN_PROGRESS)


def background_jobs(page) -> list:
    """Collects the background jobs the server starts for the page (Dash answers a job's handle, not its result)."""
    jobs = []

    def seen(response):
        if "/_dash-update-component" in response.url and "cacheKey=" not in response.url and response.ok:
            try:
                body = json.loads(response.text())
            except Exception:  # not JSON, or gone with a navigation
                return
            if isinstance(body, dict) and body.get("job"):
                jobs.append(body["job"])

    page.on("response", seen)
    return jobs


def export_through_the_page(page, server, manager, marker: str, name: str) -> None:
    """Sign in, filter by the tag, export the status-flow transitions; check the bar, link, row, API and notice."""
    jobs = background_jobs(page)
    sign_in(page, server.url, manager, next_path="/analytics")
    page.fill("#analytics-tag", marker)
    page.press("#analytics-tag", "Enter")
    page.wait_for_selector(f"a[id*='transitions'][href*='tag={marker}']")
    page.select_option("#export-table", "status-flow:transitions")
    page.click("#analytics-export-start")
    # While it runs the button is disabled and says so; the job reports to the bar.
    page.wait_for_selector("#analytics-export-start:disabled")
    assert "Exporting" in page.inner_text("#analytics-export-result")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    panel = page.locator("#analytics-export-progress").locator("xpath=../..")
    panel.screenshot(path=str(SCREENSHOTS / f"{name}-running-panel.png"))

    page.wait_for_selector("#analytics-export-result a.btn-success", timeout=60_000)
    bar = page.locator("#analytics-export-progress .progress-bar")
    assert bar.get_attribute("aria-valuenow") == "100"
    assert bar.inner_text() == "100 %"
    assert "d-none" not in page.get_attribute("#analytics-export-progress", "class")
    assert page.locator("#analytics-export-start").is_enabled()
    assert jobs, "the export did not run as a background callback"
    screenshot(page, name)
    panel.screenshot(path=str(SCREENSHOTS / f"{name}-panel.png"))

    # The link downloads what the report streams for the same filters.
    link = page.get_attribute("#analytics-export-result a.btn-success", "href")
    downloaded = page.request.get(link)
    assert downloaded.ok
    streamed = page.request.get(f"{server.url}/api/reports/status-flow?format=csv&table=transitions&tag={marker}")
    assert downloaded.body() == streamed.body()
    assert downloaded.text().count("\n") == 2  # the header and New -> In Progress

    with server.app.app_context():
        export = exports.list_exports(actor=manager, limit=1, cursor=None).items[0]
        assert (export.status, export.progress, export.report) == ("done", 100, "status-flow")
        assert export.filters == {"tag": marker, "table": "transitions"}
        notices = [n.content for n in store.list_notifications(user=manager, unread=None, limit=20, cursor=None).items]
    assert any("status-flow report (transitions) is ready: 1 rows" in text for text in notices)
    polled = page.request.get(f"{server.url}/api/exports/{export.id}").json()
    assert polled["status"] == "done" and polled["progress"] == 100 and polled["download_url"]


def test_export_runs_as_a_background_callback_in_its_own_process(page, live_server, portal_user):
    assert isinstance(live_server.app.extensions["dash"]._background_manager, background.DiskcacheManager)
    manager = portal_user(Role.MANAGER)
    marker = f"ex{uuid.uuid4().hex[:8]}"
    make_tasks(live_server.app, manager, marker)
    export_through_the_page(page, live_server, manager, marker, "analytics-export")


@pytest.fixture
def redis_url():
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/14"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis server")
    return url


@pytest.fixture
def celery_server(fresh_database, redis_url, tmp_path):
    """A server whose background callbacks go to Celery on Redis, and a worker for them (in a thread here)."""
    from celery.contrib.testing.worker import start_worker

    application = create_app(config_for(
        fresh_database("wm_celery"), REDIS_URL=redis_url, EXPORT_RUNNER="celery", LOCAL_STORAGE_DIR=str(tmp_path / "store"),
        LOGIN_MAX_FAILURES_PER_ADDRESS=10_000,
    ))
    celery = application.extensions["export_celery"]
    # A queue of this test's own: no other worker on the same Redis takes its jobs.
    celery.conf.task_default_queue = f"wm-test-{uuid.uuid4().hex[:8]}"
    server = LiveServer(application).start()
    with start_worker(celery, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=10):
        yield server
    server.stop()


def test_with_redis_the_export_runs_on_a_celery_worker(page, celery_server):
    app = celery_server.app
    assert isinstance(app.extensions["dash"]._background_manager, background.CeleryManager)
    with app.app_context():
        manager = users.create_user(actor=None, username=f"mgr_{uuid.uuid4().hex[:6]}", email=f"m{uuid.uuid4().hex[:6]}@example.com",
                                    full_name="Celery Manager", role=Role.MANAGER, password=PASSWORD)
    marker = f"ce{uuid.uuid4().hex[:8]}"
    make_tasks(app, manager, marker)
    ran_on = []
    original = exports.run_export

    def spy(**kwargs):
        ran_on.append(threading.current_thread().name)
        return original(**kwargs)

    exports.run_export = spy
    try:
        export_through_the_page(page, celery_server, manager, marker, "analytics-export-celery")
    finally:
        exports.run_export = original
    # A worker's thread ran it, not the web server's request thread.
    print("ran on", ran_on)
    assert ran_on and not any("process_request_thread" in name for name in ran_on)
