"""The analytics page's "Export in background" in a real browser, on a server whose exports run in its
thread pool (EXPORT_RUNNER=thread, the real background path): the button creates the export's row, the bar
follows the row's progress up to 100 % with the button disabled meanwhile, then the download link gives the
report's CSV; the row, the API and the in-app notice say the same. A failure shows its reason."""
import threading
import uuid

import pytest

from app import create_app
from db.models import Priority, Role, TaskStatus
from notifications import store
from reports import exports as files
from tests.conftest import PASSWORD, LiveServer, config_for
from tests.portal.conftest import SCREENSHOTS, screenshot, sign_in
from workflow import exports, tasks, users

pytestmark = pytest.mark.live

START = "#analytics-export-start"
BAR = "#analytics-export-progress"
RESULT = "#analytics-export-result"
LINK = f"{RESULT} a.btn-success"
#: The header of the status-flow report's transitions table, as its CSV download has it.
TRANSITIONS_HEADER = "from_status,to_status,count,median_hours_in_source"


@pytest.fixture(scope="module")
def server(fresh_database, tmp_path_factory):
    """The app served over HTTP, exports run by its thread pool and stored in a folder of this module's."""
    application = create_app(config_for(
        fresh_database("wm_exports_live"), EXPORT_RUNNER="thread", S3_BUCKET=None,
        LOCAL_STORAGE_DIR=str(tmp_path_factory.mktemp("exports")), LOGIN_MAX_FAILURES_PER_ADDRESS=10_000,
    ))
    live = LiveServer(application).start()
    yield live
    live.stop()
    pool = application.extensions.get("export_pool")
    if pool is not None:
        pool.shutdown(wait=True)


@pytest.fixture
def person(server):
    """A user of a role on the server's database."""

    def make(role: Role):
        name = f"{role.value.lower()}_{uuid.uuid4().hex[:6]}"
        with server.app.app_context():
            return users.create_user(actor=None, username=name, email=f"{name}@example.com",
                                     full_name=f"{role.value} Exporter", role=role, password=PASSWORD)

    return make


@pytest.fixture
def tagged(server, person):
    """A fresh tag on six tasks moved New -> In Progress (one transition row in the status-flow report)."""
    manager = person(Role.MANAGER)
    marker = f"ex{uuid.uuid4().hex[:8]}"
    with server.app.app_context():
        for number in range(6):
            task = tasks.create_task(actor=manager, title=f"Export flow {number} {marker}", tags=[marker],
                                     priority=list(Priority)[number % 4])
            tasks.change_status(actor=manager, task_id=task.id, status=TaskStatus.IN_PROGRESS)
    return marker


class Held:
    """Holds a running export at its first progress report until the test lets it go on: the browser sees
    the bar part-way however fast the export is. (Held after the report's commit: on SQLite an open
    transaction would lock out every other request.)"""

    def __init__(self, produce):
        self.produce, self.go, self.reported = produce, threading.Semaphore(0), False

    def release(self) -> None:
        self.go.release()

    def __call__(self, **kwargs):
        told = kwargs["progress"]

        def progress(percent: int) -> None:
            told(percent)  # committed to the row first, so the poll can show it
            if not self.reported:
                self.reported = True
                if not self.go.acquire(timeout=30):
                    raise TimeoutError("the test did not let the export go on")

        return self.produce(**{**kwargs, "progress": progress})


@pytest.fixture
def held(monkeypatch):
    steps = Held(files.produce)
    monkeypatch.setattr(files, "produce", steps)
    yield steps
    steps.release()  # an export the test gave up on must not hold a pool thread


def filter_by_tag(page, marker: str) -> None:
    # The page's first figures drawn first: until then its start-up callbacks may still set the filters from the URL.
    page.wait_for_selector("#analytics-kpis-compliance_pct")
    page.fill("#analytics-tag", marker)
    page.press("#analytics-tag", "Enter")
    page.wait_for_selector(f"a[id*='by_week'][href*='tag={marker}']", state="attached")  # the shown tab's link


def bar_at(page, percent: int) -> None:
    """Wait until the bar shows `percent` (value and label) with the button disabled."""
    page.wait_for_selector(f"{BAR} .progress-bar[aria-valuenow='{percent}']")
    assert page.inner_text(f"{BAR} .progress-bar") == f"{percent} %"
    assert "d-none" not in page.get_attribute(BAR, "class")
    assert page.locator(START).is_disabled()


def download(page) -> tuple[str, str]:
    """Click the download link: (the saved file's name, its text)."""
    with page.expect_popup() as popup, page.expect_download() as saved:
        page.click(LINK)
    popup.value.close()
    with open(saved.value.path(), encoding="utf-8", newline="") as handle:
        return saved.value.suggested_filename, handle.read()


def latest_export(server, user):
    with server.app.app_context():
        export = exports.list_exports(actor=user, limit=1, cursor=None).items[0]
        notices = [n.content for n in store.list_notifications(user=user, unread=None, limit=20, cursor=None).items]
    return export, notices


def test_a_manager_exports_a_table_and_follows_it_to_the_download(page, server, person, tagged, held):
    manager = person(Role.MANAGER)
    sign_in(page, server.url, manager, next_path="/analytics")
    filter_by_tag(page, tagged)
    page.select_option("#export-table", "status-flow:transitions")
    assert "d-none" in page.get_attribute(BAR, "class")
    page.click(START)

    # The file written (90 %), the upload still to come: the bar is part-way and the button disabled.
    page.wait_for_selector(f"{RESULT} :text('Exporting…')")
    bar_at(page, 90)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    panel = page.locator(BAR).locator("xpath=../..")
    panel.screenshot(path=str(SCREENSHOTS / "analytics-export-running-panel.png"))
    held.release()

    page.wait_for_selector(LINK)
    assert page.get_attribute(f"{BAR} .progress-bar", "aria-valuenow") == "100"
    assert page.inner_text(f"{BAR} .progress-bar") == "100 %"
    assert page.locator(START).is_enabled()
    assert page.inner_text(LINK) == "Download the export (1 row)"
    screenshot(page, "analytics-export")
    panel.screenshot(path=str(SCREENSHOTS / "analytics-export-panel.png"))

    # The file is the report's CSV for the same filters.
    name, text = download(page)
    assert name.startswith("status-flow-transitions-") and name.endswith(".csv")
    assert text.splitlines()[0] == TRANSITIONS_HEADER
    assert text.splitlines()[1].startswith("New,In Progress,6,")
    streamed = page.request.get(f"{server.url}/api/reports/status-flow?format=csv&table=transitions&tag={tagged}")
    assert text == streamed.text()

    # The row, the API and the requester's notice agree.
    export, notices = latest_export(server, manager)
    assert (export.status, export.progress, export.rows, export.report) == ("done", 100, 1, "status-flow")
    assert export.filters == {"tag": tagged, "table": "transitions"}
    assert export.bytes == len(text.encode())
    polled = page.request.get(f"{server.url}/api/exports/{export.id}").json()
    assert (polled["status"], polled["progress"], polled["rows"], polled["bytes"]) == ("done", 100, 1, export.bytes)
    assert polled["download_url"] and polled["error"] is None
    assert "Your export of the status-flow report (transitions) is ready: 1 rows" in notices


def test_a_viewer_may_export(page, server, person, tagged):
    viewer = person(Role.VIEWER)
    sign_in(page, server.url, viewer, next_path="/analytics")
    filter_by_tag(page, tagged)
    page.select_option("#export-table", "sla:by_priority")
    page.click(START)
    page.wait_for_selector(LINK)
    assert page.locator(START).is_enabled()

    _name, text = download(page)
    streamed = page.request.get(f"{server.url}/api/reports/sla?format=csv&table=by_priority&tag={tagged}")
    assert text == streamed.text()
    assert text.splitlines()[0].startswith("priority,")
    export, notices = latest_export(server, viewer)
    assert (export.status, export.report, export.filters) == ("done", "sla", {"tag": tagged, "table": "by_priority"})
    assert any("sla report (by priority) is ready" in notice for notice in notices)


def test_an_agent_does_not_see_the_page(page, server, person):
    agent = person(Role.AGENT)
    sign_in(page, server.url, agent, next_path="/analytics")
    page.wait_for_selector("#analytics-denied")
    assert page.locator(START).count() == 0
    with server.app.app_context():
        assert exports.list_exports(actor=agent, limit=1, cursor=None).items == []


def test_a_failed_export_shows_its_reason(page, server, person, tagged, monkeypatch):
    def broken(**_kwargs):
        raise files.storage.StorageError("the bucket is gone")

    monkeypatch.setattr(files, "produce", broken)
    manager = person(Role.MANAGER)
    sign_in(page, server.url, manager, next_path="/analytics")
    filter_by_tag(page, tagged)
    page.click(START)

    page.wait_for_selector(f"{RESULT} .alert-danger")
    assert page.inner_text(RESULT) == "The export failed: the bucket is gone"
    assert "d-none" in page.get_attribute(BAR, "class")
    assert page.locator(START).is_enabled()
    assert page.locator(LINK).count() == 0
    screenshot(page, "analytics-export-failed")

    export, notices = latest_export(server, manager)
    assert (export.status, export.error) == ("failed", "the bucket is gone")
    polled = page.request.get(f"{server.url}/api/exports/{export.id}").json()
    assert (polled["status"], polled["error"], polled["download_url"]) == ("failed", "the bucket is gone", None)
    assert any("failed: the bucket is gone" in notice for notice in notices)
