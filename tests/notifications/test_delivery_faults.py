"""Nothing is lost: outside servers down, a dispatcher killed mid-batch, dispatchers racing,
messages that never go through; a message that can never go is dead at once, with the reason. Real
servers over the wire; the dispatcher's clock is advanced by hand."""
import smtplib
import threading
import uuid
from collections import Counter
from datetime import timedelta
from types import SimpleNamespace

import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from sqlalchemy import func, select

import aws.clients
import db
from app import create_app
from db import session
from db.models import OutboxMessage, Role
from db.types import utcnow, uuid7
from notifications import dispatcher, outbox
from tests.conftest import config_for
from tests.notifications.conftest import dead_port_url, use_channels
from tests.notifications.test_outbox_fencing import scripted_inbox  # noqa: F401 (a fixture)
from workflow import tasks, users


def _messages(channel: str | None = None) -> list[OutboxMessage]:
    statement = select(OutboxMessage).order_by(OutboxMessage.id).execution_options(populate_existing=True)
    if channel:
        statement = statement.where(OutboxMessage.channel == channel)
    return list(session.scalars(statement))


def _message_ids(smtp_server) -> Counter:
    """How many times each Message-ID reached the SMTP server."""
    return Counter(received["message"]["Message-ID"] for received in smtp_server.messages)


def _expected_ids(messages) -> Counter:
    return Counter(f"<{m.id}@workflow-manager>" for m in messages)


def _assign_many(team, n: int) -> None:
    for i in range(n):
        tasks.create_task(actor=team["alice"], title=f"Replace toner {i}", assigned_to=team["bob"].id)


def test_smtp_down_while_100_notifications_are_made_then_each_is_delivered_once(
    app, team, aws_endpoint, sns_topic, smtp_server
):
    use_channels(app, aws_endpoint=aws_endpoint, topic_arn=sns_topic.arn, smtp_url=dead_port_url())
    _assign_many(team, 100)
    t0 = utcnow()

    result = dispatcher.drain(now=t0)
    assert len(result.failed) == 100 and len(result.sent) == 100  # the emails fail, the SNS events go
    emails = _messages("email")
    assert {(m.status, m.attempts) for m in emails} == {("pending", 1)}
    assert all("ConnectionRefusedError" in m.last_error for m in emails)
    # Backoff: 10 s base plus up to 25 % jitter after the first failure.
    assert all(t0 + timedelta(seconds=10) <= m.next_attempt_at <= t0 + timedelta(seconds=12.5) for m in emails)
    assert dispatcher.drain(now=t0 + timedelta(seconds=5)).handled == 0  # not due yet

    # Still down at the second try: the wait doubles.
    t1 = t0 + timedelta(seconds=13)
    assert len(dispatcher.drain(now=t1).failed) == 100
    emails = _messages("email")
    assert all(t1 + timedelta(seconds=20) <= m.next_attempt_at <= t1 + timedelta(seconds=25) for m in emails)
    assert {m.attempts for m in emails} == {2}

    app.config["SMTP_URL"] = smtp_server.url  # the server is back
    assert len(dispatcher.drain(now=t1 + timedelta(seconds=26)).sent) == 100
    emails = _messages("email")
    assert {(m.status, m.attempts) for m in emails} == {("sent", 3)}
    assert _message_ids(smtp_server) == _expected_ids(emails)  # every one, exactly once
    assert len(sns_topic.received()) == 100


def test_sns_down_while_100_notifications_are_made_then_each_is_published_once(
    app, team, aws_endpoint, sns_topic, smtp_server, monkeypatch
):
    # One try per publish, so a dead endpoint fails fast (botocore's own retries are tested by botocore).
    monkeypatch.setattr(aws.clients, "BOTO_CONFIG", BotoConfig(connect_timeout=1, read_timeout=5, retries={"max_attempts": 1}))
    use_channels(app, aws_endpoint=dead_port_url("http"), topic_arn=sns_topic.arn, smtp_url=smtp_server.url)
    _assign_many(team, 100)
    t0 = utcnow()

    result = dispatcher.drain(now=t0)
    assert len(result.failed) == 100 and len(result.sent) == 100  # the events fail, the emails go
    events = _messages("sns")
    assert {(m.status, m.attempts) for m in events} == {("pending", 1)}
    assert all("Could not connect" in m.last_error for m in events)

    use_channels(app, aws_endpoint=aws_endpoint, topic_arn=sns_topic.arn, smtp_url=smtp_server.url)
    assert len(dispatcher.drain(now=t0 + timedelta(seconds=13)).sent) == 100
    assert {m.status for m in _messages()} == {"sent"}
    published = Counter(p["attributes"]["message_id"] for p in sns_topic.received())
    assert published == Counter(str(m.id) for m in _messages("sns"))
    assert len(smtp_server.messages) == 100


def test_a_dispatcher_killed_mid_batch_loses_nothing_and_sends_nothing_twice(channels, team, smtp_server):
    _assign_many(team, 20)  # 20 emails, 20 SNS events
    t0 = utcnow()
    abandoned = dispatcher.claim(now=t0, limit=15).messages  # ... and the process dies before sending any
    assert {m.status for m in _messages() if m.id in {a.id for a in abandoned}} == {"sending"}

    # Another dispatcher, before the lease runs out, takes only the rest.
    assert len(dispatcher.drain(now=t0 + timedelta(seconds=1)).sent) == 25
    assert sum(m.status == "sending" for m in _messages()) == 15

    # Once the lease has run out the abandoned ones are claimed again and delivered.
    assert len(dispatcher.drain(now=t0 + timedelta(seconds=61)).sent) == 15
    messages = _messages()
    assert {m.status for m in messages} == {"sent"}
    assert {m.attempts for m in messages if m.id in {a.id for a in abandoned}} == {2}
    assert _message_ids(smtp_server) == _expected_ids(m for m in messages if m.channel == "email")


def test_messages_are_dead_after_max_attempts_and_an_admin_retries_them(
    app, client, auth_headers, team, aws_endpoint, sns_topic, smtp_server
):
    use_channels(app, aws_endpoint=aws_endpoint, topic_arn=sns_topic.arn, smtp_url=dead_port_url(), OUTBOX_MAX_ATTEMPTS=3)
    _assign_many(team, 2)
    now = utcnow()
    for _ in range(3):
        dispatcher.drain(now=now)
        now += timedelta(minutes=10)
    dead = _messages("email")
    assert {(m.status, m.attempts) for m in dead} == {("dead", 3)}
    assert dispatcher.drain(now=now + timedelta(days=1)).handled == 0  # dead stays dead

    admin = auth_headers(team["dave"])
    listed = client.get("/api/admin/outbox?status=dead", headers=admin)
    assert listed.status_code == 200
    assert {item["id"] for item in listed.json["items"]} == {str(m.id) for m in dead}
    assert all("ConnectionRefusedError" in item["last_error"] for item in listed.json["items"])
    assert client.get("/api/admin/outbox?status=dead", headers=auth_headers(team["alice"])).status_code == 403

    app.config["SMTP_URL"] = smtp_server.url
    for message in dead:
        response = client.post(f"/api/admin/outbox/{message.id}/retry", headers=admin)
        assert response.status_code == 200 and response.json["status"] == "pending"
    again = client.post(f"/api/admin/outbox/{dead[0].id}/retry", headers=admin)
    assert again.status_code == 409
    assert len(dispatcher.drain().sent) == 2
    assert _message_ids(smtp_server) == _expected_ids(_messages("email"))


@pytest.fixture
def committed_app(fresh_database, aws_endpoint, sns_topic, smtp_server):
    """An app on its own committed database (no test transaction), channels pointed at the test servers."""
    application = create_app(config_for(fresh_database("wm_outbox")))
    use_channels(application, aws_endpoint=aws_endpoint, topic_arn=sns_topic.arn, smtp_url=smtp_server.url,
                 OUTBOX_BATCH_SIZE=7)
    yield application
    with application.app_context():
        db.session.remove()


def test_dispatchers_racing_on_separate_connections_deliver_each_message_once(committed_app, smtp_server, sns_topic):
    with committed_app.app_context():
        alice = users.create_user(actor=None, username="alice", email="alice@example.com", full_name="Alice",
                                  role=Role.MANAGER, password="correct-horse-battery")
        bob = users.create_user(actor=None, username="bob", email="bob@example.com", full_name="Bob",
                                role=Role.AGENT, password="correct-horse-battery")
        for i in range(60):
            tasks.create_task(actor=alice, title=f"Task {i}", assigned_to=bob.id)
        db.session.remove()

    results, errors = [], []
    start = threading.Barrier(4)

    def work():
        try:
            with committed_app.app_context():
                start.wait()
                results.append(dispatcher.drain())
                db.session.remove()
        except Exception as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors

    sent = [message_id for result in results for message_id in result.sent]
    assert len(sent) == len(set(sent)) == 120  # 60 emails + 60 events, none taken by two dispatchers
    assert sum(1 for result in results if result.sent) > 1  # they did share the work
    with committed_app.app_context():
        statuses = dict(db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
        emails = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "email")))
        db.session.remove()
    assert statuses == {"sent": 120}
    assert _message_ids(smtp_server) == _expected_ids(emails)
    published = Counter(p["attributes"]["message_id"] for p in sns_topic.received())
    assert set(published.values()) == {1} and len(published) == 60


def _queued(channel: str, payload: dict) -> OutboxMessage:
    """A row as the outbox writes it (committed in the test's transaction)."""
    message = OutboxMessage(id=uuid7(), channel=channel, payload=payload, status="pending", attempts=0,
                            next_attempt_at=utcnow())
    session.add(message)
    session.commit()
    return message


def test_a_subject_that_cannot_be_a_header_is_dead_after_one_attempt(channels, team, smtp_server):
    # A title from before input refused control characters (or from an import): it cannot be a Subject.
    task = SimpleNamespace(id=uuid.uuid4(), title="Fix printer\r\nBcc: everyone@example.com")
    row = _queued("email", outbox.email_payload(to=team["bob"].email, kind="Task Assignment", content="x", task=task))

    result = dispatcher.drain()
    assert result.dead == [row.id] and not result.failed
    [dead] = _messages("email")
    assert (dead.status, dead.attempts) == ("dead", 1)
    assert dead.last_error.startswith("permanent error: ValueError") and "linefeed" in dead.last_error
    assert dispatcher.drain(now=utcnow() + timedelta(hours=2)).handled == 0
    assert smtp_server.messages == []


def test_a_message_the_smtp_server_refuses_is_dead_after_one_attempt(app, team, aws_endpoint, scripted_inbox):
    inbox = scripted_inbox(reply="550 5.7.1 Message refused by policy")
    use_channels(app, aws_endpoint=aws_endpoint, smtp_url=inbox.url)
    _assign_many(team, 1)

    assert len(dispatcher.drain().dead) == 1
    [dead] = _messages("email")
    assert (dead.status, dead.attempts) == ("dead", 1)
    assert "permanent error: SMTPDataError" in dead.last_error and "550" in dead.last_error
    assert inbox.messages == []


def test_a_message_the_smtp_server_defers_is_retried_then_delivered(app, team, aws_endpoint, scripted_inbox):
    inbox = scripted_inbox(reply="451 4.3.0 Try again later")
    use_channels(app, aws_endpoint=aws_endpoint, smtp_url=inbox.url)
    _assign_many(team, 1)
    t0 = utcnow()

    assert len(dispatcher.drain(now=t0).failed) == 1
    [deferred] = _messages("email")
    assert (deferred.status, deferred.attempts) == ("pending", 1)
    assert "451" in deferred.last_error and deferred.next_attempt_at > t0
    inbox.reply = "250 OK"
    assert len(dispatcher.drain(now=t0 + timedelta(minutes=1)).sent) == 1
    assert _message_ids(inbox) == _expected_ids(_messages("email"))


def test_an_event_sns_refuses_is_dead_after_one_attempt(app, ctx, aws_endpoint, sns_topic):
    use_channels(app, aws_endpoint=aws_endpoint, topic_arn=sns_topic.arn)
    row = _queued("sns", {"type": "Task Assignment", "user": "system", "task": str(uuid.uuid4()),
                          "title": "x" * 300_000})  # over SNS's 256 KB

    assert dispatcher.drain().dead == [row.id]
    [dead] = _messages("sns")
    assert (dead.status, dead.attempts) == ("dead", 1)
    assert dead.last_error.startswith("permanent error: ") and "(InvalidParameter)" in dead.last_error


def _client_error(code: str, status: int) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Publish")


@pytest.mark.parametrize(("error", "kind"), [
    (ValueError("Header values may not contain linefeed or carriage return characters"), dispatcher.PERMANENT),
    (ValueError("not an E.164 phone number: '12'"), dispatcher.PERMANENT),
    (smtplib.SMTPRecipientsRefused({"x@example.com": (550, b"5.1.1 No such user")}), dispatcher.PERMANENT),
    (smtplib.SMTPRecipientsRefused({"x@example.com": (450, b"4.2.0 Mailbox busy")}), dispatcher.TRANSIENT),
    (smtplib.SMTPDataError(554, b"5.6.0 Message refused"), dispatcher.PERMANENT),
    (smtplib.SMTPDataError(451, b"4.3.0 Try again later"), dispatcher.TRANSIENT),
    (smtplib.SMTPSenderRefused(550, b"5.7.1 Sender not allowed", "workflow@example.com"), dispatcher.TRANSIENT),
    (smtplib.SMTPAuthenticationError(535, b"5.7.8 Bad credentials"), dispatcher.TRANSIENT),
    (smtplib.SMTPServerDisconnected("Connection unexpectedly closed: timed out"), dispatcher.UNKNOWN),
    (ConnectionRefusedError(111, "Connection refused"), dispatcher.TRANSIENT),
    (TimeoutError("timed out"), dispatcher.UNKNOWN),
    (RuntimeError("SNS_TOPIC_ARN is not set"), dispatcher.TRANSIENT),
    (_client_error("InvalidParameter", 400), dispatcher.PERMANENT),
    (_client_error("MessageRejected", 400), dispatcher.PERMANENT),
    (_client_error("Throttling", 400), dispatcher.TRANSIENT),
    (_client_error("AuthorizationError", 403), dispatcher.TRANSIENT),
    (_client_error("InternalError", 500), dispatcher.UNKNOWN),
    (EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), dispatcher.TRANSIENT),
    (ReadTimeoutError(endpoint_url="http://127.0.0.1:1"), dispatcher.UNKNOWN),
])
def test_each_error_is_classified_once_for_all_channels(error, kind):
    assert dispatcher.classify(error) == kind
