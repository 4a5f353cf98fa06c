"""Task attachments over HTTP, against S3 (moto in server mode) and against the local folder store."""
import io
import time
import uuid

import boto3
import pytest
import requests
from sqlalchemy import func, select

import db
from app import create_app
from db.models import Role, TaskAttachment
from tests.conftest import config_for

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def _bucket(aws_endpoint) -> str:
    """A fresh bucket on the moto server."""
    name = f"attachments-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1").create_bucket(Bucket=name)
    return name


@pytest.fixture(params=["s3", "local"])
def store(request, tmp_path):
    """Where attachments go: settings for S3 on moto, or for a local folder."""
    if request.param == "s3":
        endpoint = request.getfixturevalue("aws_endpoint")
        return {"AWS_ENDPOINT_URL": endpoint, "S3_BUCKET": _bucket(endpoint)}
    return {"LOCAL_STORAGE_DIR": str(tmp_path / "attachments")}


@pytest.fixture
def app(database_url, store):
    """This module's app: one of the two stores, small limits, a rolled-back transaction as in conftest."""
    application = create_app(config_for(database_url, ATTACHMENT_MAX_BYTES=64 * 1024, **store))
    connection = application.extensions["db_engine"].connect()
    transaction = connection.begin()
    application.extensions["db_bind"] = connection
    yield application
    db.session.remove()
    transaction.rollback()
    connection.close()


def _upload(client, headers, task_id, content=PDF, name="report.pdf", content_type="application/pdf"):
    return client.post(
        f"/api/tasks/{task_id}/attachments", headers=headers,
        data={"file": (io.BytesIO(content), name, content_type)}, content_type="multipart/form-data",
    )


def _fetch(client, url: str):
    """Download a link: S3's over the wire with requests, ours through the app."""
    if url.startswith("http://localhost/"):
        response = client.get(url)
        return response.status_code, response.get_data(), response.headers
    response = requests.get(url, timeout=10)
    return response.status_code, response.content, response.headers


def _rows(app, task_id) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(TaskAttachment).where(TaskAttachment.task_id == task_id))


def _stored_objects(app, store) -> list[str]:
    if "S3_BUCKET" in store:
        listing = boto3.client("s3", endpoint_url=store["AWS_ENDPOINT_URL"], region_name="us-east-1").list_objects_v2(Bucket=store["S3_BUCKET"])
        return [item["Key"] for item in listing.get("Contents", [])]
    with app.app_context():
        from aws.storage import local_root

        root = local_root()
        return [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_upload_list_download_and_delete(client, app, store, make_user, make_task, auth_headers):
    agent = make_user(Role.AGENT)
    task = make_task(agent)
    headers = auth_headers(agent)
    created = _upload(client, headers, task.id, name="../../Bericht für Q3 (final).pdf")
    assert created.status_code == 201, created.json
    body = created.json
    assert body["filename"] == "Bericht für Q3 (final).pdf"
    assert (body["size"], body["content_type"], body["uploaded_by"]) == (len(PDF), "application/pdf", str(agent.id))
    assert _stored_objects(app, store) == [f"attachments/{task.id}/{body['id']}"]

    listed = client.get(f"/api/tasks/{task.id}/attachments", headers=headers).json["items"]
    assert [item["id"] for item in listed] == [body["id"]]
    status, content, response_headers = _fetch(client, listed[0]["download_url"])
    assert status == 200 and content == PDF
    assert "filename*=UTF-8''Bericht%20f%C3%BCr%20Q3%20%28final%29.pdf" in response_headers["Content-Disposition"]

    redirect = client.get(f"/api/tasks/{task.id}/attachments/{body['id']}", headers=headers)
    assert redirect.status_code == 302
    assert _fetch(client, redirect.headers["Location"])[1] == PDF

    history = client.get(f"/api/tasks/{task.id}/history", headers=headers).json["items"]
    assert history[-1]["new_value"] == {"attachment": body["filename"]}

    assert client.delete(f"/api/tasks/{task.id}/attachments/{body['id']}", headers=headers).status_code == 204
    assert client.get(f"/api/tasks/{task.id}/attachments", headers=headers).json["items"] == []
    assert _stored_objects(app, store) == []
    history = client.get(f"/api/tasks/{task.id}/history", headers=headers).json["items"]
    assert history[-1]["old_value"] == {"attachment": body["filename"]} and history[-1]["new_value"] == {"attachment": None}


def test_too_large_is_413_and_stores_nothing(client, app, store, make_user, make_task, auth_headers):
    agent = make_user(Role.AGENT)
    task = make_task(agent)
    # Just over the limit (checked exactly), and far over it (refused before it is read).
    for size in (64 * 1024 + 1, 300 * 1024):
        response = _upload(client, auth_headers(agent), task.id, content=b"a" * size, name="big.txt", content_type="text/plain")
        assert response.status_code == 413
        assert response.json["error"]["code"] == "payload_too_large"
    assert _rows(app, task.id) == 0 and _stored_objects(app, store) == []


def test_a_bigger_json_body_elsewhere_is_still_refused(client, make_user, auth_headers):
    agent = make_user(Role.AGENT)
    response = client.post("/api/tasks", headers=auth_headers(agent), json={"title": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (b"MZ\x90\x00binary", "tool.exe", "application/octet-stream"),
        (b"<script>alert(1)</script>", "page.html", "text/html"),
        (PDF, "report.pdf", "text/html"),  # a declared type the extension does not allow
        (b"just text, not a PDF", "report.pdf", "application/pdf"),  # the content is not what it claims
        (PDF, "no-extension", "application/pdf"),
    ],
)
def test_disallowed_type_is_415(client, app, store, make_user, make_task, auth_headers, content, name, content_type):
    agent = make_user(Role.AGENT)
    task = make_task(agent)
    response = _upload(client, auth_headers(agent), task.id, content=content, name=name, content_type=content_type)
    assert response.status_code == 415, response.json
    assert response.json["error"]["code"] == "unsupported_media_type"
    assert _rows(app, task.id) == 0 and _stored_objects(app, store) == []


def test_missing_file_field_is_400(client, make_user, make_task, auth_headers):
    agent = make_user(Role.AGENT)
    task = make_task(agent)
    response = client.post(f"/api/tasks/{task.id}/attachments", headers=auth_headers(agent), data={"other": "x"})
    assert response.status_code == 400


def test_viewer_cannot_upload_and_other_agent_cannot_delete(client, app, store, make_user, make_task, auth_headers):
    uploader, other, viewer, manager = (make_user(role) for role in (Role.AGENT, Role.AGENT, Role.VIEWER, Role.MANAGER))
    task = make_task(uploader)
    refused = _upload(client, auth_headers(viewer), task.id)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    assert _stored_objects(app, store) == []

    attachment_id = _upload(client, auth_headers(uploader), task.id).json["id"]
    url = f"/api/tasks/{task.id}/attachments/{attachment_id}"
    assert client.delete(url, headers=auth_headers(other)).status_code == 403
    assert client.delete(url, headers=auth_headers(viewer)).status_code == 403
    assert _rows(app, task.id) == 1
    assert client.get(url, headers=auth_headers(viewer)).status_code == 302  # everyone who reads the task downloads
    assert client.delete(url, headers=auth_headers(manager)).status_code == 204
    assert client.delete(url, headers=auth_headers(manager)).status_code == 404


def test_unknown_task_or_attachment_is_404(client, make_user, make_task, auth_headers):
    agent = make_user(Role.AGENT)
    task = make_task(agent)
    headers = auth_headers(agent)
    assert _upload(client, headers, uuid.uuid4()).status_code == 404
    assert client.get(f"/api/tasks/{task.id}/attachments/{uuid.uuid4()}", headers=headers).status_code == 404
    assert client.get(f"/api/tasks/{uuid.uuid4()}/attachments", headers=headers).status_code == 404


def _sibling(app, **settings):
    """Another app on the same rolled-back connection as `app` (so it sees the test's users and tasks)."""
    other = create_app(config_for(app.config["DATABASE_URL"], **settings))
    other.extensions["db_bind"] = app.extensions["db_bind"]
    return other


def test_failing_store_reports_an_error_and_leaves_no_row(app, aws_endpoint, tmp_path, make_user, make_task, auth_headers):
    """A bucket that does not exist (S3) and a folder that cannot be created (local): 502, nothing recorded."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store's folder should be")
    agent = make_user(Role.AGENT)
    task = make_task(agent)
    for settings in (
        {"AWS_ENDPOINT_URL": aws_endpoint, "S3_BUCKET": f"missing-{uuid.uuid4().hex[:12]}"},
        {"LOCAL_STORAGE_DIR": str(blocker / "attachments")},
    ):
        client = _sibling(app, **settings).test_client()
        response = _upload(client, auth_headers(agent), task.id)
        assert response.status_code == 502, response.json
        assert response.json["error"]["code"] == "storage_unavailable"
        assert client.get(f"/api/tasks/{task.id}/attachments", headers=auth_headers(agent)).json["items"] == []
        assert _rows(app, task.id) == 0


def test_local_links_expire_and_cannot_be_forged(app, tmp_path, make_user, make_task, auth_headers):
    local = _sibling(app, LOCAL_STORAGE_DIR=str(tmp_path / "files"), ATTACHMENT_URL_SECONDS=1)
    client = local.test_client()
    agent = make_user(Role.AGENT)
    task = make_task(agent)
    created = _upload(client, auth_headers(agent), task.id, content=b"hello, world\n", name="note.txt", content_type="text/plain")
    url = created.json["download_url"]
    assert client.get(url).get_data() == b"hello, world\n"

    token = url.rsplit("/", 1)[1]
    forged = url[: -len(token)] + token[:-3] + ("BBB" if token.endswith("AAA") else "AAA")
    refused = client.get(forged)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    # Signed with another secret: a link this server never issued.
    other = _sibling(app, LOCAL_STORAGE_DIR=str(tmp_path / "files"), SECRET_KEY="another-secret-" + "x" * 40)
    with other.test_request_context():
        from aws.storage import download_url

        foreign = download_url(f"attachments/{task.id}/{created.json['id']}", filename="a.txt", content_type="text/plain")
    assert client.get(foreign).status_code == 403

    time.sleep(2.2)  # past ATTACHMENT_URL_SECONDS (tokens carry whole seconds)
    expired = client.get(url)
    assert expired.status_code == 403 and "expired" in expired.json["error"]["message"]
