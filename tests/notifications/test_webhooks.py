"""Signed webhooks against a real HTTP receiver on a free port: signatures that verify over the raw body, one
event per change, the same delivery id on every retry, a receiver down for a while served once when it is back,
dead after the last attempt with the receiver's answer kept, SSRF refused at delivery too. The dispatcher's clock
is advanced by hand."""
import hashlib
import hmac
import ipaddress
import json
import threading
import time
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from db import session
from db.models import OutboxMessage, Role, TaskStatus, Webhook
from db.types import utcnow
from domain.errors import InvalidTransition
from domain.webhooks import EVENTS
from notifications import dispatcher, webhook_http, webhooks
from tests.conftest import free_port
from workflow import comments, exports, tasks
from workflow import webhooks as endpoints

SECRET = "receiver-shared-secret-0123456789"


class Receiver:
    """A real HTTP server that records every request (raw body, headers) and answers as told: `answers` are
    used first, one per request, then `default`; `delay` holds each answer that many seconds."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks/in"
        self.received: list[dict] = []
        self.answers: list[tuple[int, bytes, dict]] = []
        self.default: tuple[int, bytes, dict] = (204, b"", {})
        self.delay = 0.0
        self._server = None
        self._lock = threading.Lock()

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    receiver.received.append({"path": self.path, "headers": dict(self.headers), "body": raw})
                    status, body, headers = receiver.answers.pop(0) if receiver.answers else receiver.default
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST

            def log_message(self, *args):
                pass

        return Handler

    def start(self) -> "Receiver":
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def events(self) -> list[str]:
        return [r["headers"]["X-Workflow-Event"] for r in self.received]

    def bodies(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.received]


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def hooks_app(app):
    """The app with loopback receivers allowed and a short, fixed backoff (the tests advance the clock)."""
    app.config.update(WEBHOOK_ALLOW_PRIVATE_NETWORKS=True, OUTBOX_BACKOFF_SECONDS=10, OUTBOX_BACKOFF_MAX_SECONDS=300,
                      OUTBOX_LEASE_SECONDS=60, OUTBOX_SEND_TIMEOUT_SECONDS=5, OUTBOX_MAX_ATTEMPTS=4)
    return app


@pytest.fixture
def crew(ctx, make_user):
    return {"admin": make_user(Role.ADMIN), "manager": make_user(Role.MANAGER), "agent": make_user(Role.AGENT)}


def register(admin, url, events=EVENTS, secret=SECRET) -> Webhook:
    return endpoints.create_webhook(actor=admin, url=url, events=list(events), secret=secret).webhook


def deliveries() -> list[OutboxMessage]:
    return list(session.scalars(
        select(OutboxMessage).where(OutboxMessage.channel == "webhook").order_by(OutboxMessage.id)
        .execution_options(populate_existing=True)
    ))


def verify(secret: str, raw: bytes, header: str) -> bool:
    """What a receiver does (the README's five lines)."""
    expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


# --- signing and the body ---------------------------------------------------------------------------------


def test_a_delivery_is_signed_over_its_raw_body_and_carries_the_task_as_the_api_shows_it(
    hooks_app, crew, receiver, client, auth_headers
):
    register(crew["admin"], receiver.url)
    task = tasks.create_task(actor=crew["agent"], title="Printer on fire", tags=["hardware", "urgent"])

    assert len(dispatcher.drain().sent) == 1
    (request,) = receiver.received
    headers, raw = request["headers"], request["body"]
    (message,) = deliveries()
    assert request["path"] == "/hooks/in"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Workflow-Event"] == "task.created"
    assert headers["X-Workflow-Delivery"] == str(message.id)
    assert verify(SECRET, raw, headers["X-Workflow-Signature"])
    assert not verify(SECRET, raw + b" ", headers["X-Workflow-Signature"])
    assert not verify("another-secret-0123456789", raw, headers["X-Workflow-Signature"])

    document = json.loads(raw)
    assert set(document) == {"id", "event", "created_at", "data"}
    assert (document["id"], document["event"]) == (str(message.id), "task.created")
    shown = client.get(f"/api/tasks/{task.id}", headers=auth_headers(crew["agent"])).json
    shown.pop("allowed_transitions")
    assert document["data"] == shown
    assert message.status == "sent" and message.last_error is None


def test_each_task_change_produces_its_event_once_even_when_nobody_is_notified(hooks_app, crew, receiver):
    every = register(crew["admin"], receiver.url)
    only_comments = Receiver().start()
    try:
        commented = register(crew["admin"], only_comments.url, events=["task.commented"])
        agent, manager = crew["agent"], crew["manager"]
        # The agent creates and works an unassigned task alone: no in-app notice for anyone, events all the same.
        task = tasks.create_task(actor=agent, title="Rotate the logs")
        tasks.change_status(actor=agent, task_id=task.id, status=TaskStatus.IN_PROGRESS)
        tasks.update_task(actor=manager, task_id=task.id, changes={"assigned_to": agent.id, "status": TaskStatus.ON_HOLD})
        tasks.update_task(actor=manager, task_id=task.id, changes={"title": "Rotate the logs weekly"})  # no event
        comments.add_comment(actor=agent, task_id=task.id, body="Waiting for the disk")
        assigned = tasks.create_task(actor=manager, title="Patch the VPN", assigned_to=agent.id)
        dispatcher.drain()

        assert Counter(receiver.events()) == Counter({
            "task.created": 2, "task.status_changed": 2, "task.assigned": 2, "task.commented": 1,
        })
        by_event = {}
        for body in receiver.bodies():
            by_event.setdefault(body["event"], []).append(body["data"])
        moves = by_event["task.status_changed"]
        assert [(d["previous"]["status"], d["status"]) for d in moves] == [("New", "In Progress"), ("In Progress", "On Hold")]
        assert [d["version"] for d in moves] == [2, 3]  # the version each change committed
        assert [(d["id"], d["previous"]["assigned_to"], d["assigned_to"]) for d in by_event["task.assigned"]] == [
            (str(task.id), None, str(agent.id)), (str(assigned.id), None, str(agent.id))]
        (comment,) = by_event["task.commented"]
        assert (comment["body"], comment["task_id"], comment["task"]["title"]) == (
            "Waiting for the disk", str(task.id), "Rotate the logs weekly")
        assert only_comments.events() == ["task.commented"]
        # One delivery per endpoint and event, each with its own id.
        assert len({m.id for m in deliveries()}) == 8
        assert Counter(m.webhook_id for m in deliveries()) == Counter({every.id: 7, commented.id: 1})
    finally:
        only_comments.stop()


def test_a_refused_change_leaves_no_event(hooks_app, crew, receiver):
    register(crew["admin"], receiver.url)
    task = tasks.create_task(actor=crew["manager"], title="Close the quarter")
    with pytest.raises(InvalidTransition):
        tasks.change_status(actor=crew["manager"], task_id=task.id, status=TaskStatus.COMPLETED)  # New -> Completed
    assert [m.payload["event"] for m in deliveries()] == ["task.created"]


def test_sla_events_go_to_the_endpoints_subscribed_to_them(hooks_app, crew, receiver):
    register(crew["admin"], receiver.url, events=["sla.breached"])
    task = tasks.create_task(actor=crew["manager"], title="Critical outage")
    webhooks.emit(event="sla.warning", data={"task": webhooks.task_data(task)})
    webhooks.emit(event="sla.breached", data={"task": webhooks.task_data(task), "target_minutes": 240})
    session.commit()
    dispatcher.drain()
    assert receiver.events() == ["sla.breached"]
    assert receiver.bodies()[0]["data"]["target_minutes"] == 240
    with pytest.raises(ValueError):
        webhooks.emit(event="task.deleted", data={})


def test_export_done_is_sent_when_an_export_finishes(hooks_app, crew, receiver, tmp_path):
    hooks_app.config.update(S3_BUCKET=None, LOCAL_STORAGE_DIR=str(tmp_path / "store"))
    register(crew["admin"], receiver.url, events=["export.done"])
    tasks.create_task(actor=crew["manager"], title="Count me")
    export = exports.create_export(actor=crew["manager"], report="tasks", filters={})
    exports.run_export(export_id=export.id)
    exports.run_export(export_id=export.id)  # a redelivered job: done once, told once
    dispatcher.drain()
    (body,) = receiver.bodies()
    assert body["event"] == "export.done"
    assert (body["data"]["id"], body["data"]["status"], body["data"]["rows"]) == (str(export.id), "done", 1)


# --- failures and retries ---------------------------------------------------------------------------------


def test_a_receiver_down_for_a_while_gets_each_event_once_when_it_is_back(hooks_app, crew):
    receiver = Receiver()  # not started: connections are refused
    register(crew["admin"], receiver.url)
    for i in range(3):
        tasks.create_task(actor=crew["agent"], title=f"Renew certificate {i}")
    t0 = utcnow()

    result = dispatcher.drain(now=t0)
    assert len(result.failed) == 3
    assert {(m.status, m.attempts) for m in deliveries()} == {("pending", 1)}
    assert all("ConnectionRefusedError" in m.last_error for m in deliveries())
    assert dispatcher.drain(now=t0 + timedelta(seconds=5)).handled == 0  # backing off

    receiver.start()  # back, but failing
    receiver.default = (503, b"maintenance", {})
    try:
        t1 = t0 + timedelta(seconds=13)
        assert len(dispatcher.drain(now=t1).failed) == 3
        assert all(m.last_error.endswith("HTTP 503 from the receiver: maintenance") for m in deliveries())

        receiver.default = (200, b"ok", {})  # healthy again
        assert len(dispatcher.drain(now=t1 + timedelta(seconds=26)).sent) == 3
        assert dispatcher.drain(now=t1 + timedelta(hours=1)).handled == 0
    finally:
        receiver.stop()
    sent = deliveries()
    assert {(m.status, m.attempts) for m in sent} == {("sent", 3)}
    ids = [r["headers"]["X-Workflow-Delivery"] for r in receiver.received]
    # Every attempt carried the same delivery id and the same signed bytes; one success per delivery.
    assert Counter(ids) == Counter({str(m.id): 2 for m in sent})
    for message in sent:
        attempts = [r for r in receiver.received if r["headers"]["X-Workflow-Delivery"] == str(message.id)]
        assert len({r["body"] for r in attempts}) == 1
        assert len({r["headers"]["X-Workflow-Signature"] for r in attempts}) == 1
        assert json.loads(attempts[0]["body"])["id"] == str(message.id)


def test_dead_after_the_last_attempt_with_the_answer_kept_then_retried_from_the_api(
    hooks_app, crew, receiver, client, auth_headers
):
    register(crew["admin"], receiver.url)
    tasks.create_task(actor=crew["agent"], title="Migrate the wiki")
    receiver.default = (500, b"<html>Internal Server Error: database is locked" + b"x" * 2000, {})
    now = utcnow()
    for _ in range(4):
        dispatcher.drain(now=now)
        now += timedelta(minutes=10)
    (message,) = deliveries()
    assert (message.status, message.attempts) == ("dead", 4)
    assert message.last_error.startswith("ReceiverFailed: HTTP 500 from the receiver: <html>Internal Server Error")
    assert len(message.last_error) < 700  # the first bytes of the answer, not all of it
    assert dispatcher.drain(now=now + timedelta(days=1)).handled == 0

    receiver.default = (202, b"", {})
    admin = auth_headers(crew["admin"])
    assert client.post(f"/api/admin/outbox/{message.id}/retry", headers=admin).status_code == 200
    assert len(dispatcher.drain().sent) == 1
    ids = {r["headers"]["X-Workflow-Delivery"] for r in receiver.received}
    assert ids == {str(message.id)} and len(receiver.received) == 5
    assert deliveries()[0].status == "sent"


@pytest.mark.parametrize("status", [400, 401, 404, 410, 302])
def test_a_refusal_is_dead_at_once_and_a_redirect_is_not_followed(hooks_app, crew, receiver, status):
    elsewhere = Receiver().start()
    try:
        receiver.default = (status, b"no such hook", {"Location": elsewhere.url})
        register(crew["admin"], receiver.url)
        tasks.create_task(actor=crew["agent"], title="Refused")
        assert len(dispatcher.drain().dead) == 1
        (message,) = deliveries()
        assert (message.status, message.attempts) == ("dead", 1)
        assert message.last_error == f"permanent error: ReceiverRefused: HTTP {status} from the receiver: no such hook"
        assert elsewhere.received == []
    finally:
        elsewhere.stop()


@pytest.mark.parametrize("status", [408, 429])
def test_timeout_and_throttling_answers_are_retried(hooks_app, crew, receiver, status):
    receiver.answers = [(status, b"", {})]
    register(crew["admin"], receiver.url)
    tasks.create_task(actor=crew["agent"], title="Busy")
    t0 = utcnow()
    assert len(dispatcher.drain(now=t0).failed) == 1
    assert len(dispatcher.drain(now=t0 + timedelta(seconds=13)).sent) == 1


def test_a_receiver_slower_than_the_timeout_is_retried_within_the_timeout(hooks_app, crew, receiver):
    hooks_app.config["OUTBOX_SEND_TIMEOUT_SECONDS"] = 1
    register(crew["admin"], receiver.url)
    tasks.create_task(actor=crew["agent"], title="Slow")
    receiver.delay = 3
    started = time.monotonic()
    assert len(dispatcher.drain(now=utcnow()).failed) == 1
    assert time.monotonic() - started < 2.5
    (message,) = deliveries()
    assert (message.status, message.last_error) == ("pending", "TimeoutError: no answer from the receiver within 1 s")


def test_a_deleted_endpoint_gets_nothing_more(hooks_app, crew, receiver):
    hook = register(crew["admin"], receiver.url)
    tasks.create_task(actor=crew["agent"], title="Before")
    endpoints.delete_webhook(actor=crew["admin"], webhook_id=hook.id)
    tasks.create_task(actor=crew["agent"], title="After")
    dispatcher.drain()
    assert receiver.received == []
    (message,) = deliveries()
    assert (message.status, message.last_error) == ("dead", endpoints.DELETED)


def test_an_address_that_turned_private_is_refused_at_delivery(hooks_app, crew, receiver):
    register(crew["admin"], receiver.url)  # allowed while the setting is on
    tasks.create_task(actor=crew["agent"], title="Rebound")
    hooks_app.config["WEBHOOK_ALLOW_PRIVATE_NETWORKS"] = False  # as if the name now resolved to loopback
    assert len(dispatcher.drain().dead) == 1
    (message,) = deliveries()
    assert "127.0.0.1 is a loopback address" in message.last_error
    assert receiver.received == []


# --- secrets and addresses --------------------------------------------------------------------------------


def test_secrets_are_sealed_at_rest_and_only_this_secret_key_reads_them(hooks_app, crew, receiver):
    hook = register(crew["admin"], receiver.url)
    stored = session.scalar(select(Webhook.secret).where(Webhook.id == hook.id))
    assert SECRET not in stored and stored.startswith("v1:")
    assert webhooks.unseal(stored) == SECRET
    assert webhooks.seal(SECRET) != stored  # a fresh nonce each time
    tampered = stored[:-6] + ("A" if stored[-6] != "A" else "B") + stored[-5:]
    with pytest.raises(webhooks.SealBroken):
        webhooks.unseal(tampered)
    hooks_app.config["SECRET_KEY"] = "another-secret-key-entirely-0123456789-abcdefghijklmnopqrstuvwxyz"
    with pytest.raises(webhooks.SealBroken):
        webhooks.unseal(stored)


def test_a_generated_secret_is_returned_once_and_signs(hooks_app, crew, receiver):
    registered = endpoints.create_webhook(actor=crew["admin"], url=receiver.url, events=["task.created"])
    assert registered.secret.startswith("whsec_") and len(registered.secret) > 40
    tasks.create_task(actor=crew["agent"], title="Signed with a generated secret")
    dispatcher.drain()
    (request,) = receiver.received
    assert verify(registered.secret, request["body"], request["headers"]["X-Workflow-Signature"])


@pytest.mark.parametrize("address, refused", [
    ("127.0.0.1", True), ("10.1.2.3", True), ("172.16.0.1", True), ("192.168.1.1", True),
    ("169.254.169.254", True), ("0.0.0.0", True), ("100.64.0.1", True), ("224.0.0.1", True), ("240.0.0.1", True),
    ("::1", True), ("::", True), ("fe80::1", True), ("fc00::1", True), ("ff02::1", True),
    ("::ffff:127.0.0.1", True), ("::ffff:169.254.169.254", True), ("2002:7f00:1::", True), ("::ffff:8.8.8.8", False),
    ("8.8.8.8", False), ("93.184.215.14", False), ("2606:4700:4700::1111", False),
])
def test_which_addresses_are_refused(address, refused):
    assert (webhook_http._refusal(ipaddress.ip_address(address)) is not None) == refused


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hook", "http://10.0.0.7:8080/hook", "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:9000/hook", "http://localhost:9000/hook", "https://[::ffff:127.0.0.1]/hook", "http://0.0.0.0/",
])
def test_private_receivers_are_refused_when_the_setting_is_off(app, url):
    with pytest.raises(webhook_http.AddressRefused, match="may not reach"):
        webhook_http.check(url, allow_private=False, timeout=5)


@pytest.mark.parametrize("url, message", [
    ("ftp://example.com/hook", "only http and https"), ("file:///etc/passwd", "only http and https"),
    ("http:///nohost", "no host"), ("https://user:pass@example.com/hook", "credentials"),
    ("http://example.com:99999/", "not a valid URL"),
])
def test_only_plain_http_urls_are_taken(url, message):
    with pytest.raises(webhook_http.AddressRefused, match=message):
        webhook_http.split(url)
