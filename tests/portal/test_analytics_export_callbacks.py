"""The analytics export at the callbacks' level, on an app whose exports run in its thread pool
(EXPORT_RUNNER=thread): the start button's callback creates the export's row with the chosen table and the
page's filters, and `watch` follows that row (bar, button, link or reason), as on the task table. There is
no other way: no background callbacks, no manager for them."""
import time
import uuid
from contextlib import contextmanager

import pytest
from flask_login import login_user

import db
from app import create_app
from auth import SessionUser
from auth.tokens import issue_token
from db.models import Export, Role, TaskStatus
from notifications import store
from reports import exports as files
from tests.conftest import PASSWORD, config_for
from workflow import exports, tasks, users


@pytest.fixture(scope="module")
def thread_app(fresh_database, tmp_path_factory):
    """The app on its own committed database, exports run by its thread pool and stored in a folder."""
    application = create_app(config_for(
        fresh_database("wm_exports_portal"), EXPORT_RUNNER="thread", S3_BUCKET=None,
        LOCAL_STORAGE_DIR=str(tmp_path_factory.mktemp("exports")),
    ))
    yield application
    pool = application.extensions.get("export_pool")
    if pool is not None:
        pool.shutdown(wait=True)


@pytest.fixture
def page(thread_app):
    """The analytics page module, imported once Dash (made by the app) may register pages."""
    from portal.pages import analytics

    return analytics


@pytest.fixture
def person(thread_app):
    def make(role: Role):
        name = f"{role.value.lower()}_{uuid.uuid4().hex[:6]}"
        with thread_app.app_context():
            return users.create_user(actor=None, username=name, email=f"{name}@example.com",
                                     full_name=f"{role.value} Exporter", role=role, password=PASSWORD)

    return make


@pytest.fixture
def marker(thread_app, person):
    """A fresh tag on two tasks moved New -> In Progress (one transition row)."""
    manager = person(Role.MANAGER)
    tag = f"bx{uuid.uuid4().hex[:8]}"
    with thread_app.app_context():
        for number in range(2):
            task = tasks.create_task(actor=manager, title=f"Flow {number}", tags=[tag])
            tasks.change_status(actor=manager, task_id=task.id, status=TaskStatus.IN_PROGRESS)
    return tag


@contextmanager
def signed_in(app, user):
    """A callback request of `user` (None: nobody signed in)."""
    with app.test_request_context("/_dash-update-component", method="POST"):
        if user is not None:
            login_user(SessionUser(user))
        yield


def click(app, page, user, choice: str, tag: str) -> dict:
    """The start button's callback: the chosen table, the tag filter and no other."""
    with signed_in(app, user):
        return page.export_in_background(1, choice, None, None, None, None, None, tag)


def follow(app, user, job: dict, timeout: float = 30) -> list[tuple]:
    """What `watch` shows at each poll until the poll stops."""
    from portal.components import export_panel

    shown, deadline = [], time.monotonic() + timeout
    for tick in range(10_000):
        with signed_in(app, user):
            shown.append(export_panel.watch(job, tick))
        if shown[-1][4] or time.monotonic() > deadline:
            return shown
        time.sleep(0.05)
    return shown


def latest(app, user):
    with app.app_context():
        items = exports.list_exports(actor=user, limit=1, cursor=None).items
        notices = [n.content for n in store.list_notifications(user=user, unread=None, limit=20, cursor=None).items]
        db.session.remove()
    return (items[0] if items else None), notices


def api_export(app, user, export_id) -> dict:
    with app.test_request_context():
        token, _ = issue_token(user.id, user.credential_version)
    response = app.test_client().get(f"/api/exports/{export_id}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.json
    return response.json


def test_the_portal_has_one_export_mechanism(thread_app, page):
    dash_app = thread_app.extensions["dash"]
    assert dash_app._background_manager is None
    assert "background_callback_manager" not in thread_app.extensions
    assert not any(spec.get("background") for spec in dash_app.callback_map.values())
    # On both pages the button's callback writes the watched export, and `watch` drives the bar and the button.
    for name in ("tasks", "analytics"):
        assert f"{name}-export-job.data" in dash_app.callback_map
        watched = [key for key in dash_app.callback_map if f"{name}-export-start.disabled" in key]
        assert watched and f"{name}-export-progress.value" in watched[0]


def test_the_controls_become_the_exports_report_and_filters(page):
    assert page.export_request("sla:by_week", "2026-01-05", "2026-01-11", "Field", None, "High", " vip ") == (
        "sla", {"date_from": "2026-01-05T00:00:00Z", "date_to": "2026-01-12T00:00:00Z", "department": "Field",
                "priority": "High", "tag": "vip", "table": "by_week"},
    )
    first, _, table = page.EXPORT_CHOICES[0]["value"].partition(":")
    assert page.export_request(None, None, None, None, None, None, "") == (first, {"table": table})


@pytest.mark.parametrize("role", [Role.MANAGER, Role.VIEWER, Role.ADMIN])
def test_a_reader_of_analytics_exports_and_watch_follows_it_to_the_link(thread_app, page, person, marker, role):
    user = person(role)
    job = click(thread_app, page, user, "status-flow:transitions", marker)
    shown = follow(thread_app, user, job)

    # While it is queued or running: the bar shows, the poll goes on, the button is disabled.
    for value, label, css, _result, stopped, disabled in shown[:-1]:
        assert (css, stopped, disabled) == ("mb-1", False, True) and label == f"{value} %"
    values = [state[0] for state in shown]
    assert values == sorted(values)
    value, label, css, result, stopped, disabled = shown[-1]
    assert (value, label, css, stopped, disabled) == (100, "100 %", "mb-1", True, False)
    link = result.children[0]
    assert link.children[1] == "Download the export (1 row)"

    export, notices = latest(thread_app, user)
    assert str(export.id) == job["id"]
    assert (export.status, export.progress, export.rows, export.report) == ("done", 100, 1, "status-flow")
    assert export.filters == {"tag": marker, "table": "transitions"}
    polled = api_export(thread_app, user, export.id)
    assert (polled["status"], polled["progress"], polled["rows"], polled["bytes"]) == ("done", 100, 1, export.bytes)
    # The same stored file (the links are signed when made, so only their paths compare).
    assert link.href.split("?")[0].rsplit("/", 1)[0] == polled["download_url"].split("?")[0].rsplit("/", 1)[0]
    assert "Your export of the status-flow report (transitions) is ready: 1 rows" in notices


def test_a_queued_or_running_export_disables_the_button(thread_app, person, marker):
    from portal.components import export_panel

    manager = person(Role.MANAGER)
    with thread_app.app_context():
        # Created but never handed to the runner: it stays as this test sets it.
        export = exports.create_export(actor=manager, report="status-flow", filters={"tag": marker})
        db.session.remove()
    job = {"id": str(export.id)}
    with signed_in(thread_app, manager):
        value, label, css, result, stopped, disabled = export_panel.watch(job, 0)
    assert (value, label, css, result.children, stopped, disabled) == (0, "0 %", "mb-1", "Queued…", False, True)

    with thread_app.app_context():
        row = db.session.get(Export, export.id)
        row.status, row.progress = exports.RUNNING, 40
        db.session.commit()
        db.session.remove()
    with signed_in(thread_app, manager):
        value, label, css, result, stopped, disabled = export_panel.watch(job, 1)
    assert (value, label, css, result.children, stopped, disabled) == (40, "40 %", "mb-1", "Exporting…", False, True)


def test_an_agent_or_nobody_gets_the_reason_and_no_export(thread_app, page, person, marker):
    agent = person(Role.AGENT)
    job = click(thread_app, page, agent, "status-flow:transitions", marker)
    assert job == {"error": "analytics are for managers, admins and viewers"}
    (value, label, css, result, stopped, disabled), = follow(thread_app, agent, job)
    assert (value, label, css, stopped, disabled) == (0, "", "d-none", True, False)
    assert result.children == "analytics are for managers, admins and viewers"
    assert latest(thread_app, agent)[0] is None

    assert click(thread_app, page, None, "status-flow:transitions", marker) == {"error": "Sign in first."}


def test_someone_elses_export_is_not_found(thread_app, page, person, marker):
    owner, other = person(Role.MANAGER), person(Role.MANAGER)
    job = click(thread_app, page, owner, "status-flow:transitions", marker)
    follow(thread_app, owner, job)
    for watched in (job, {"id": "not-an-id"}):
        (*_, result, stopped, disabled), = follow(thread_app, other, watched)
        assert (result.children, stopped, disabled) == ("The export was not found.", True, False)


def test_a_failed_export_hides_the_bar_says_why_and_enables_the_button(thread_app, page, person, marker, monkeypatch):
    def broken(**_kwargs):
        raise files.storage.StorageError("the bucket is gone")

    monkeypatch.setattr(files, "produce", broken)
    manager = person(Role.MANAGER)
    job = click(thread_app, page, manager, "status-flow:transitions", marker)
    _value, _label, css, result, stopped, disabled = follow(thread_app, manager, job)[-1]
    assert (css, result.children, stopped, disabled) == ("d-none", "The export failed: the bucket is gone", True, False)

    export, notices = latest(thread_app, manager)
    assert (export.status, export.error) == ("failed", "the bucket is gone")
    polled = api_export(thread_app, manager, export.id)
    assert (polled["status"], polled["error"], polled["download_url"]) == ("failed", "the bucket is gone", None)
    assert any("failed: the bucket is gone" in notice for notice in notices)
