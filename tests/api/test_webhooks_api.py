"""`/api/webhooks`: Admins register endpoints (the secret shown once), list them with their latest deliveries,
delete them and send a test event; private and loopback receivers are refused unless the setting allows them;
each change leaves an audit row without the secret."""
import json
import uuid

import pytest
from sqlalchemy import select

from db import session
from db.models import AuditEvent, Role, Webhook
from notifications import dispatcher
from tests.notifications.test_webhooks import SECRET, Receiver, receiver, verify  # noqa: F401 (a fixture)


@pytest.fixture(autouse=True)
def _context(ctx):
    """The tests read the database and drive the dispatcher directly."""


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN)


@pytest.fixture
def allow_private(app):
    app.config["WEBHOOK_ALLOW_PRIVATE_NETWORKS"] = True
    return app


def _create(client, headers, url, events=("task.created",), **more):
    return client.post("/api/webhooks", headers=headers, json={"url": url, "events": list(events), **more})


def test_an_admin_registers_lists_tests_and_deletes_an_endpoint(allow_private, client, auth_headers, admin, receiver):
    headers = auth_headers(admin)
    created = _create(client, headers, receiver.url, events=["task.created", "task.commented", "task.created"])
    assert created.status_code == 201, created.json
    hook = created.json
    assert hook["url"] == receiver.url and hook["events"] == ["task.created", "task.commented"]
    assert hook["secret"].startswith("whsec_") and hook["active"] is True and hook["recent_deliveries"] == []
    secret = hook["secret"]

    listed = client.get("/api/webhooks", headers=headers)
    assert listed.status_code == 200
    (item,) = listed.json["items"]
    assert item["id"] == hook["id"] and "secret" not in item
    assert secret not in listed.get_data(as_text=True)
    assert secret not in session.scalar(select(Webhook.secret).where(Webhook.id == uuid.UUID(hook["id"])))

    tested = client.post(f"/api/webhooks/{hook['id']}/test", headers=headers)
    assert tested.status_code == 202
    delivery_id = tested.json["delivery_id"]
    assert tested.json["status"] == "pending"
    (pending,) = client.get("/api/webhooks", headers=headers).json["items"][0]["recent_deliveries"]
    assert (pending["id"], pending["event"], pending["status"]) == (delivery_id, "ping", "pending")

    assert len(dispatcher.drain().sent) == 1
    (request,) = receiver.received
    assert request["headers"]["X-Workflow-Event"] == "ping"
    assert request["headers"]["X-Workflow-Delivery"] == delivery_id
    assert verify(secret, request["body"], request["headers"]["X-Workflow-Signature"])
    assert json.loads(request["body"])["data"]["webhook_id"] == hook["id"]
    (sent,) = client.get("/api/webhooks", headers=headers).json["items"][0]["recent_deliveries"]
    assert (sent["id"], sent["status"], sent["attempts"], sent["last_error"]) == (delivery_id, "sent", 1, None)

    assert client.delete(f"/api/webhooks/{hook['id']}", headers=headers).status_code == 204
    assert client.get("/api/webhooks", headers=headers).json["items"] == []
    assert client.delete(f"/api/webhooks/{hook['id']}", headers=headers).status_code == 404
    assert client.post(f"/api/webhooks/{hook['id']}/test", headers=headers).status_code == 404

    audit = list(session.execute(
        select(AuditEvent.action, AuditEvent.target_id, AuditEvent.before, AuditEvent.after)
        .where(AuditEvent.target_type == "webhook").order_by(AuditEvent.at, AuditEvent.id)
    ))
    assert [(row.action, row.target_id) for row in audit] == [
        ("webhook.created", hook["id"]), ("webhook.tested", hook["id"]), ("webhook.deleted", hook["id"])]
    assert secret not in json.dumps([[row.before, row.after] for row in audit])


def test_a_secret_given_is_kept_and_returned_once(allow_private, client, auth_headers, admin, receiver):
    created = _create(client, auth_headers(admin), receiver.url, secret=SECRET)
    assert created.status_code == 201 and created.json["secret"] == SECRET


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/hook", "http://10.0.0.8/hook", "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/hook", "http://localhost:9000/hook", "http://[::ffff:10.0.0.1]/hook", "http://192.168.0.10/",
])
def test_loopback_and_private_receivers_are_refused(app, client, auth_headers, admin, url):
    answer = _create(client, auth_headers(admin), url)
    assert answer.status_code == 422
    error = answer.json["error"]
    assert "webhooks may not reach" in error["message"] and "WEBHOOK_ALLOW_PRIVATE_NETWORKS" in error["message"]
    assert error["details"][0]["field"] == "url"
    assert session.scalar(select(Webhook.id)) is None


@pytest.mark.parametrize("body, field", [
    ({"url": "ftp://example.com/", "events": ["task.created"]}, "url"),
    ({"url": "http://example.invalid/", "events": ["task.created"]}, "url"),
    ({"url": "https://example.com/", "events": []}, "events"),
    ({"url": "https://example.com/", "events": ["task.deleted"]}, "events"),
    ({"url": "https://example.com/", "events": ["task.created"], "secret": "short"}, "secret"),
    ({"url": "https://example.com/", "events": ["task.created"], "owner": "me"}, "owner"),
    ({"events": ["task.created"]}, "url"),
])
def test_invalid_registrations_are_422(app, client, auth_headers, admin, body, field):
    answer = client.post("/api/webhooks", headers=auth_headers(admin), json=body)
    assert answer.status_code == 422, answer.json
    assert any(detail["field"].startswith(field) for detail in answer.json["error"]["details"])


def test_only_admins_manage_webhooks(allow_private, client, auth_headers, make_user, admin, receiver):
    hook = _create(client, auth_headers(admin), receiver.url).json
    for role in (Role.MANAGER, Role.AGENT, Role.VIEWER):
        headers = auth_headers(make_user(role))
        assert client.get("/api/webhooks", headers=headers).status_code == 403
        assert _create(client, headers, receiver.url).status_code == 403
        assert client.delete(f"/api/webhooks/{hook['id']}", headers=headers).status_code == 403
        assert client.post(f"/api/webhooks/{hook['id']}/test", headers=headers).status_code == 403
    assert client.get("/api/webhooks").status_code == 401
    assert receiver.received == []
