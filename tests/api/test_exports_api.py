"""Background exports through the API: 202 at once, polled until done, the link downloads the same CSV
the report streams; a failed upload is told to the user and leaves nothing behind."""
import time
import uuid
from urllib.parse import urlsplit

import boto3
import pytest
import requests
from boto3.s3.transfer import TransferConfig

import aws
import db
from auth.tokens import issue_token
from aws import storage
from db.models import Priority, Role
from tests.conftest import PASSWORD
from workflow import tasks, users


@pytest.fixture(scope="module")
def crew(bg_app):
    """A manager, an agent, a viewer and an admin, with tasks of every priority."""
    made = {}
    with bg_app.app_context():
        for role in (Role.MANAGER, Role.AGENT, Role.VIEWER, Role.ADMIN):
            name = f"{role.value.lower()}_{uuid.uuid4().hex[:6]}"
            made[role.value.lower()] = users.create_user(
                actor=None, username=name, email=f"{name}@example.com", full_name=f"{role.value} Export",
                role=role, password=PASSWORD,
            )
        for n in range(40):
            tasks.create_task(
                actor=made["manager"], title=f"Export task {n}, with \"quotes\"",
                description="line one\nline two" if n % 3 == 0 else "", priority=list(Priority)[n % 4],
                assigned_to=made["agent"].id if n % 2 else None, tags=["export", f"t{n % 5}"],
            )
        db.session.remove()
    return made


def headers(app, user) -> dict:
    with app.test_request_context():
        token, _ = issue_token(user.id, user.credential_version)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def bucket(bg_app, aws_endpoint):
    """A fresh bucket on moto's server, the app pointed at it."""
    name = f"exports-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=name)
    bg_app.config.update(S3_BUCKET=name, AWS_ENDPOINT_URL=aws_endpoint)
    aws.init_app(bg_app)
    s3.bucket = name
    return s3


def wait_for(client, export_id: str, head: dict, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/api/exports/{export_id}", headers=head)
        assert response.status_code == 200, response.json
        body = response.json
        assert 0 <= body["progress"] <= 100
        if body["status"] in ("done", "failed") or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def start(client, head: dict, report: str, filters: dict) -> dict:
    response = client.post("/api/exports", json={"report": report, "filters": filters}, headers=head)
    assert response.status_code == 202, response.json
    assert response.json["status"] in ("queued", "running", "done")
    assert response.headers["Location"].endswith(f"/api/exports/{response.json['id']}")
    return response.json


def notices(client, head: dict) -> list[str]:
    return [item["content"] for item in client.get("/api/notifications", headers=head).json["items"]]


def test_export_to_s3_runs_in_the_background_and_links_the_same_csv(bg_client, bg_app, crew, bucket, monkeypatch):
    # A tiny threshold: the upload goes as a multipart upload, as a large export would.
    monkeypatch.setattr(storage, "TRANSFER_CONFIG", TransferConfig(multipart_threshold=1024, multipart_chunksize=5 * 1024 * 1024))
    head = headers(bg_app, crew["agent"])
    started = start(bg_client, head, "tasks", {"tag": "export", "sort": "title"})
    done = wait_for(bg_client, started["id"], head)
    assert done["status"] == "done", done
    assert done["progress"] == 100 and done["rows"] == 40
    assert [o["Key"] for o in bucket.list_objects_v2(Bucket=bucket.bucket)["Contents"]] == [f"exports/{started['id']}.csv"]

    downloaded = requests.get(done["download_url"], timeout=10)
    assert downloaded.status_code == 200
    # A presigned link: signed, and it expires.
    assert "expires=" in done["download_url"].lower() and "signature=" in done["download_url"].lower()
    streamed = bg_client.get("/api/reports/tasks?format=csv&tag=export&sort=title", headers=head)
    assert downloaded.content == streamed.get_data()
    assert done["bytes"] == len(downloaded.content)
    assert any("is ready: 40 rows" in text for text in notices(bg_client, head))


def test_a_report_table_exports_like_its_csv(bg_client, bg_app, crew, bucket):
    head = headers(bg_app, crew["manager"])
    done = wait_for(bg_client, start(bg_client, head, "workload", {"table": "by_department"})["id"], head)
    assert done["status"] == "done", done
    streamed = bg_client.get("/api/reports/workload?format=csv&table=by_department", headers=head).get_data()
    downloaded = requests.get(done["download_url"], timeout=10).content
    assert downloaded.decode().splitlines() == streamed.decode().splitlines()


def test_a_failed_upload_is_reported_and_leaves_nothing(bg_client, bg_app, crew, bucket, monkeypatch):
    monkeypatch.setattr(storage, "TRANSFER_CONFIG", TransferConfig(multipart_threshold=1024, multipart_chunksize=5 * 1024 * 1024))

    def refuse(**_kwargs):
        raise RuntimeError("the network went away")

    # The multipart upload starts, then its part fails: boto3 must abort it.
    s3 = bg_app.extensions["aws"].get("s3")
    s3.meta.events.register("before-call.s3.UploadPart", refuse)
    head = headers(bg_app, crew["agent"])
    done = wait_for(bg_client, start(bg_client, head, "tasks", {"tag": "export"})["id"], head)
    assert done["status"] == "failed" and "network went away" in done["error"]
    assert done["download_url"] is None
    assert "Contents" not in bucket.list_objects_v2(Bucket=bucket.bucket)
    assert "Uploads" not in bucket.list_multipart_uploads(Bucket=bucket.bucket)
    assert any("failed" in text for text in notices(bg_client, head))


def test_a_missing_bucket_fails_the_export(bg_client, bg_app, crew, bucket):
    bg_app.config["S3_BUCKET"] = f"missing-{uuid.uuid4().hex[:8]}"
    head = headers(bg_app, crew["viewer"])
    done = wait_for(bg_client, start(bg_client, head, "sla", {})["id"], head)
    assert done["status"] == "failed" and "NoSuchBucket" in done["error"]
    assert any("Your export of the sla report (by priority) failed" in text for text in notices(bg_client, head))


def test_without_s3_the_export_goes_to_the_local_folder(bg_client, bg_app, crew, tmp_path):
    head = headers(bg_app, crew["agent"])
    done = wait_for(bg_client, start(bg_client, head, "tasks", {"assigned_to": "me"})["id"], head)
    assert done["status"] == "done", done
    assert done["filters"] == {"assigned_to": str(crew["agent"].id)}
    # Only the finished file: the temporary one was renamed into place.
    assert [p.name for p in (tmp_path / "store").rglob("*") if p.is_file()] == [f"{done['id']}.csv"]
    link = urlsplit(done["download_url"])
    downloaded = bg_client.get(link.path)
    assert downloaded.status_code == 200
    streamed = bg_client.get(f"/api/reports/tasks?format=csv&assigned_to={crew['agent'].id}", headers=head)
    assert downloaded.get_data() == streamed.get_data()
    assert done["rows"] == 20


def test_only_the_requester_or_an_admin_reads_an_export(bg_client, bg_app, crew):
    mine = start(bg_client, headers(bg_app, crew["agent"]), "tasks", {})
    assert bg_client.get(f"/api/exports/{mine['id']}", headers=headers(bg_app, crew["viewer"])).status_code == 404
    assert bg_client.get(f"/api/exports/{mine['id']}", headers=headers(bg_app, crew["manager"])).status_code == 404
    assert bg_client.get(f"/api/exports/{mine['id']}", headers=headers(bg_app, crew["admin"])).status_code == 200
    listed = bg_client.get("/api/exports", headers=headers(bg_app, crew["viewer"])).json["items"]
    assert mine["id"] not in [item["id"] for item in listed]


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({"report": "sla"}, 403, None),
        ({"report": "payroll"}, 422, "report"),
        ({"report": "tasks", "filters": {"priority": "Urgent"}}, 422, None),
        ({"report": "tasks", "filters": {"sort": "secret"}}, 422, None),
        ({"report": "workload", "filters": {"table": "nope"}}, 422, None),
    ],
)
def test_refused_requests_start_nothing(bg_client, bg_app, crew, body, status, field):
    head = headers(bg_app, crew["agent"])
    def ids():
        return [item["id"] for item in bg_client.get("/api/exports", headers=head).json["items"]]

    before = ids()
    response = bg_client.post("/api/exports", json=body, headers=head)
    assert response.status_code == status, response.json
    if field:
        assert [d["field"] for d in response.json["error"]["details"]] == [field]
    assert ids() == before


def test_unknown_export_is_404(bg_client, bg_app, crew):
    head = headers(bg_app, crew["admin"])
    assert bg_client.get(f"/api/exports/{uuid.uuid4()}", headers=head).status_code == 404
    assert bg_client.get("/api/exports/not-a-uuid", headers=head).status_code == 422


def test_celery_workers_on_redis_run_exports(bg_app, bg_client, crew, tmp_path, monkeypatch):
    """With REDIS_URL the web process only queues; a Celery worker (here in a thread) does the work."""
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis server")
    from celery.contrib.testing.worker import start_worker

    from jobs.celery_app import celery_app

    application = bg_app
    monkeypatch.setitem(application.config, "EXPORT_RUNNER", "celery")
    monkeypatch.setitem(application.config, "REDIS_URL", url)
    monkeypatch.setitem(application.config, "LOCAL_STORAGE_DIR", str(tmp_path / "store"))
    monkeypatch.delitem(application.extensions, "export_celery", raising=False)
    celery = celery_app(application)
    client = bg_client
    head = headers(application, crew["manager"])
    with start_worker(celery, pool="threads", concurrency=1, perform_ping_check=False, shutdown_timeout=10):
        done = wait_for(client, start(client, head, "tasks", {"priority": "High"})["id"], head)
    assert done["status"] == "done", done
    assert done["rows"] == 10
