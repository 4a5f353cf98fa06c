"""Producing export files: the CSV written in constant memory, stored whole or not at all; the nightly snapshot."""
import io
import uuid

import boto3
import pytest
from click.testing import CliRunner

import aws
from cli import exports_cli
from db.models import Priority, Role
from domain.errors import ValidationFailed
from domain.filters import TaskFilters
from reports import exports
from reports.task_csv import stream_tasks_csv
from workflow import tasks


@pytest.fixture
def folder(app, tmp_path):
    app.config.update(S3_BUCKET=None, LOCAL_STORAGE_DIR=str(tmp_path / "store"))
    return tmp_path / "store"


@pytest.fixture
def some_tasks(ctx, make_user, make_task):
    manager = make_user(Role.MANAGER)
    return [
        make_task(manager, title=f"Snapshot {n}", description="two\nlines" if n % 2 else "", priority=list(Priority)[n % 4])
        for n in range(7)
    ]


def _streamed(**filters) -> bytes:
    return b"".join(stream_tasks_csv(filters=TaskFilters(**filters), sort="created_at"))


def test_the_written_csv_is_the_streamed_csv_and_counts_records(some_tasks):
    out = io.BytesIO()
    rows = exports.write_csv(report="tasks", filters={"sort": "created_at"}, out=out)
    assert out.getvalue() == _streamed()
    # Descriptions with newlines are one record each.
    assert rows == len(some_tasks) and out.getvalue().count(b"\n") > rows + 1


def test_progress_is_reported_up_to_the_write_share(some_tasks, monkeypatch):
    monkeypatch.setattr(exports, "PROGRESS_SECONDS", 0)
    seen = []
    exports.write_csv(report="tasks", filters={"priority": "Low"}, out=io.BytesIO(), progress=seen.append)
    assert seen and seen == sorted(seen) and seen[-1] == exports.WRITE_SHARE


def test_a_report_table_is_written_with_its_columns(some_tasks):
    out = io.BytesIO()
    rows = exports.write_csv(report="workload", filters={"table": "by_department"}, out=out)
    header = out.getvalue().decode().splitlines()[0]
    assert header.split(",")[0] and rows >= 0


@pytest.mark.parametrize(
    "report, filters",
    [("nope", {}), ("tasks", {"priority": "Urgent"}), ("tasks", {"sort": "x"}), ("sla", {"table": "x"}),
     ("sla", {"date_from": "yesterday"}), ("tasks", {"assigned_to": "someone"})],
)
def test_bad_requests_are_refused(ctx, report, filters):
    with pytest.raises(ValidationFailed):
        exports.check(report, filters)


def test_a_failed_write_leaves_no_file(folder, some_tasks, monkeypatch):
    def broken(**_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(exports, "write_csv", broken)
    with pytest.raises(OSError):
        exports.produce(report="tasks", filters={}, key="exports/x.csv", download_name="x.csv")
    assert not folder.exists() or not any(folder.rglob("*"))


def test_the_local_folder_gets_the_whole_file(folder, some_tasks):
    produced = exports.produce(report="tasks", filters={"sort": "created_at"}, key="exports/a.csv", download_name="a.csv")
    assert (folder / "exports" / "a.csv").read_bytes() == _streamed()
    assert [p.name for p in folder.rglob("*") if p.is_file()] == ["a.csv"]
    assert produced.rows == len(some_tasks)


def test_the_snapshot_command_writes_once_a_day_to_s3(app, some_tasks, aws_endpoint):
    bucket = f"snapshots-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    app.config.update(S3_BUCKET=bucket, AWS_ENDPOINT_URL=aws_endpoint)
    aws.init_app(app)
    runner = CliRunner()
    first = runner.invoke(exports_cli, ["snapshot", "--date", "2026-01-02"])
    assert first.exit_code == 0, first.output
    assert first.output.startswith(f"snapshots/tasks-2026-01-02.csv: {len(some_tasks)} rows")
    stored = s3.get_object(Bucket=bucket, Key="snapshots/tasks-2026-01-02.csv")["Body"].read()
    assert stored == _streamed()

    tasks.create_task(actor=_manager(some_tasks), title="Later that day")
    again = runner.invoke(exports_cli, ["snapshot", "--date", "2026-01-02"])
    assert again.exit_code == 0 and again.output.strip() == "snapshots/tasks-2026-01-02.csv already stored"
    assert s3.get_object(Bucket=bucket, Key="snapshots/tasks-2026-01-02.csv")["Body"].read() == stored
    forced = runner.invoke(exports_cli, ["snapshot", "--date", "2026-01-02", "--force"])
    assert forced.exit_code == 0 and f"{len(some_tasks) + 1} rows" in forced.output
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["snapshots/tasks-2026-01-02.csv"]


def test_the_snapshot_command_uses_the_local_folder_without_s3(app, folder, some_tasks):
    runner = CliRunner()
    assert runner.invoke(exports_cli, ["snapshot", "--date", "2026-03-04"]).exit_code == 0
    assert (folder / "snapshots" / "tasks-2026-03-04.csv").read_bytes() == _streamed()
    assert "already stored" in runner.invoke(exports_cli, ["snapshot", "--date", "2026-03-04"]).output


def _manager(some_tasks):
    from db import session
    from db.models import User

    return session.get(User, some_tasks[0].created_by)


def test_the_portal_pages_export_what_they_show(app, make_user):
    """The task table's background export takes the filters and sort its CSV link has; the analytics one a valid table."""
    from portal.pages import analytics, tasks_table

    agent = make_user()
    filters = tasks_table._filters({"scope": "mine", "status": "New", "priority": "any", "q": "x"}, agent)
    exported = tasks_table.export_filters(filters, tasks_table._sort([{"colId": "title", "sort": "asc"}]))
    assert exported == {"status": "New", "assigned_to": str(agent.id), "q": "x", "sort": "title"}
    with app.app_context():
        exports.check("tasks", exported)
        for choice in analytics.EXPORT_CHOICES:
            report, _, table = choice["value"].partition(":")
            exports.check(report, {"date_from": "2026-01-01T00:00:00Z", "table": table})
