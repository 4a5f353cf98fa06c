"""The analytics export as a background callback, at the callback's level: which manager runs the jobs,
and the job itself (the export's row, its progress told to the bar, the link or the refusal)."""
import uuid

import pytest
from flask_login import login_user

from app import create_app
from auth import SessionUser
from db.models import Role, TaskStatus
from portal import background
from portal.components import export_panel
from tests.conftest import config_for
from workflow import exports, tasks


def test_the_manager_follows_where_exports_run(database_url, tmp_path):
    default = create_app(config_for(database_url))
    assert isinstance(default.extensions["dash"]._background_manager, background.DiskcacheManager)
    assert background.cache_folder(default) == background.Path(default.instance_path) / "background-callbacks"

    folder = tmp_path / "jobs"
    moved = create_app(config_for(database_url, BACKGROUND_CALLBACK_DIR=str(folder)))
    assert background.cache_folder(moved) == folder and folder.is_dir()

    on_redis = create_app(config_for(database_url, REDIS_URL="redis://127.0.0.1:6379/14", EXPORT_RUNNER="celery"))
    manager = on_redis.extensions["dash"]._background_manager
    assert isinstance(manager, background.CeleryManager)
    # The exports' own Celery app, now with a result backend for the callbacks' progress and results.
    assert manager.handle is on_redis.extensions["export_celery"]
    assert manager.handle.conf.result_backend == "redis://127.0.0.1:6379/14"

    # Redis for rate limits only, exports in threads: no Celery worker to send jobs to.
    threads = create_app(config_for(database_url, REDIS_URL="redis://127.0.0.1:6379/14", EXPORT_RUNNER="thread"))
    assert isinstance(threads.extensions["dash"]._background_manager, background.DiskcacheManager)


@pytest.fixture
def flow(app, make_user, tmp_path):
    """A manager and two tasks under a fresh tag moved New -> In Progress; exports stored under tmp_path."""
    app.config.update(LOCAL_STORAGE_DIR=str(tmp_path / "store"), S3_BUCKET=None)
    manager = make_user(Role.MANAGER)
    marker = f"bx{uuid.uuid4().hex[:8]}"
    with app.app_context():
        for number in range(2):
            task = tasks.create_task(actor=manager, title=f"Flow {number}", tags=[marker])
            tasks.change_status(actor=manager, task_id=task.id, status=TaskStatus.IN_PROGRESS)
    return manager, marker


def run_as(app, user, report: str, filters: dict):
    told = []
    with app.test_request_context():
        if user is not None:
            login_user(SessionUser(user))
        outcome = export_panel.run(told.append, report, filters)
    return told, outcome


def test_the_job_creates_the_export_reports_progress_and_returns_the_link(app, flow):
    manager, marker = flow
    told, (value, label, css, result) = run_as(app, manager, "status-flow", {"tag": marker, "table": "transitions"})
    # From 0 to 100 as the export's row records it (90 when the file is written, the upload the rest).
    assert told[0] == (0, "0 %", "mb-1") and told[-1] == (100, "100 %", "mb-1")
    assert [percent for percent, _, _ in told] == sorted(percent for percent, _, _ in told)
    assert (90, "90 %", "mb-1") in told
    assert (value, label, css) == (100, "100 %", "mb-1")
    link = result.children[0]
    assert link.children[1] == "Download the export (1 row)" and link.href
    with app.app_context():
        export = exports.list_exports(actor=manager, limit=1, cursor=None).items[0]
        assert (export.status, export.progress, export.rows, export.requested_by) == ("done", 100, 1, manager.id)
    # A link on the host the request came to (the job runs in that request's context).
    assert link.href.startswith("http://localhost/api/")


def test_an_agent_or_nobody_gets_the_reason_and_no_export(app, flow, make_user):
    _manager, marker = flow
    agent = make_user(Role.AGENT)
    told, (value, label, css, result) = run_as(app, agent, "status-flow", {"tag": marker, "table": "transitions"})
    assert told == [] and css == "d-none"
    assert "analytics are for managers" in result.children
    told, (*_, result) = run_as(app, None, "status-flow", {"tag": marker})
    assert told == [] and result.children == "Sign in first."
    with app.app_context():
        assert exports.list_exports(actor=agent, limit=1, cursor=None).items == []


def test_a_failed_export_hides_the_bar_and_says_why(app, flow, monkeypatch):
    from reports import exports as files

    manager, marker = flow

    def broken(**_kwargs):
        raise files.storage.StorageError("the bucket is gone")

    monkeypatch.setattr(files, "produce", broken)
    told, (value, label, css, result) = run_as(app, manager, "status-flow", {"tag": marker, "table": "transitions"})
    assert css == "d-none" and "the bucket is gone" in result.children
    with app.app_context():
        assert exports.list_exports(actor=manager, limit=1, cursor=None).items[0].status == "failed"
