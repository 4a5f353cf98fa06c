"""Every write of a dispatcher is fenced by its claim: one whose lease ran out sends nothing more and changes
nothing, a slow one renews its lease instead of losing it, and a message no receiver could drop a repeat of
(SMS, email through SES) is never sent twice. Real servers over the wire (aiosmtpd, moto); the dispatchers'
clock is advanced by hand where two of them take turns."""
import asyncio
import logging
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from email.message import EmailMessage
from types import SimpleNamespace

import boto3
import pytest
from sqlalchemy import func, select, update

import db
from app import create_app
from aws import mail
from db import session
from db.models import NotificationType, OutboxMessage, Role
from db.types import utcnow, uuid7
from notifications import dispatcher, outbox
from tests.conftest import Inbox, TcpProxy, config_for
from tests.notifications.conftest import sms_sent, use_channels
from workflow import notifications as notices
from workflow import tasks, users


class ScriptedInbox(Inbox):
    """The test SMTP server, answering DATA after `delay` seconds with `reply` (keeping the message on 250)
    and RCPT after `rcpt_delay` seconds."""

    def __init__(self, *, delay: float = 0.0, reply: str = "250 OK", rcpt_delay: float = 0.0):
        super().__init__()
        self.delay, self.reply, self.rcpt_delay = delay, reply, rcpt_delay

    async def handle_RCPT(self, _server, _session, envelope, address, _options):
        await asyncio.sleep(self.rcpt_delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session_, envelope):
        await asyncio.sleep(self.delay)
        if not self.reply.startswith("250"):
            return self.reply
        return await super().handle_DATA(server, session_, envelope)


@pytest.fixture
def scripted_inbox():
    """Start ScriptedInbox servers made by the test; stopped at the end."""
    started = []

    def start(**script) -> ScriptedInbox:
        inbox = ScriptedInbox(**script)
        inbox.controller.start()
        started.append(inbox)
        return inbox

    yield start
    for inbox in started:
        inbox.controller.stop()



def _messages(channel: str | None = None) -> list[OutboxMessage]:
    statement = select(OutboxMessage).order_by(OutboxMessage.id).execution_options(populate_existing=True)
    if channel:
        statement = statement.where(OutboxMessage.channel == channel)
    return list(session.scalars(statement))


def _received_ids(inbox) -> Counter:
    """How many times each Message-ID reached the SMTP server."""
    return Counter(received["message"]["Message-ID"] for received in inbox.messages)


def _expected_ids(messages) -> Counter:
    return Counter(f"<{m.id}@workflow-manager>" for m in messages)


def _assign_many(team, n: int) -> None:
    for i in range(n):
        tasks.create_task(actor=team["alice"], title=f"Replace toner {i}", assigned_to=team["bob"].id)


def _texts_to(aws_endpoint: str, user) -> list[str]:
    return sms_sent(aws_endpoint, user.phone)


def test_a_dispatcher_whose_lease_ran_out_sends_nothing_and_changes_nothing(
    channels, team, smtp_server, sns_topic, caplog
):
    # Its own level: an in-process Celery worker elsewhere in the suite may have raised the root logger's.
    caplog.set_level(logging.WARNING, logger=dispatcher.__name__)
    _assign_many(team, 4)  # 4 emails, 4 SNS events
    t0 = utcnow()
    stalled = dispatcher.claim(now=t0)  # dispatcher A claims them, then stalls past its lease
    later = t0 + timedelta(seconds=61)
    assert len(dispatcher.drain(now=later).sent) == 8  # B takes them over and delivers them

    result = dispatcher.deliver_claimed(stalled, now=later)  # A wakes up
    assert result.sent == [] and len(result.lost) == 8
    assert "took them over" in caplog.text
    # Its late reports change nothing: a failure does not make a delivered message due (or dead) again.
    assert dispatcher.mark_failed(stalled, stalled.messages[0], ConnectionRefusedError(111, "refused"), later) is None
    assert dispatcher.mark_sent(stalled, [m.id for m in stalled.messages], later) == 0
    assert dispatcher.drain(now=later + timedelta(hours=2)).handled == 0

    messages = _messages()
    assert {(m.status, m.attempts, m.last_error) for m in messages} == {("sent", 2, None)}
    assert _received_ids(smtp_server) == _expected_ids(m for m in messages if m.channel == "email")
    published = Counter(p["attributes"]["message_id"] for p in sns_topic.received())
    assert published == Counter(str(m.id) for m in messages if m.channel == "sns")


def test_a_dispatcher_keeps_and_sends_what_was_not_taken_over(channels, team, smtp_server, sns_topic):
    _assign_many(team, 4)
    t0 = utcnow()
    stalled = dispatcher.claim(now=t0)
    later = t0 + timedelta(seconds=61)
    taken = dispatcher.dispatch_batch(now=later, limit=3)  # B takes three of them over
    assert len(taken.sent) == 3

    result = dispatcher.deliver_claimed(stalled, now=later)  # A renews its lease on the other five
    assert len(result.sent) == 5 and sorted(result.lost) == sorted(taken.sent)
    messages = _messages()
    assert {m.status for m in messages} == {"sent"}
    assert _received_ids(smtp_server) == _expected_ids(m for m in messages if m.channel == "email")
    published = Counter(p["attributes"]["message_id"] for p in sns_topic.received())
    assert published == Counter(str(m.id) for m in messages if m.channel == "sns")


@pytest.fixture
def slow_app(fresh_database, aws_endpoint, scripted_inbox):
    """An app on its own committed database whose SMTP server takes 0.4 s per message; a batch of 10 takes
    longer than the 3 s lease."""
    inbox = scripted_inbox(delay=0.4)
    application = create_app(config_for(fresh_database("wm_fencing")))
    use_channels(application, aws_endpoint=aws_endpoint, smtp_url=inbox.url, OUTBOX_BATCH_SIZE=10,
                 OUTBOX_LEASE_SECONDS=3, OUTBOX_SEND_TIMEOUT_SECONDS=1)
    application.inbox = inbox
    yield application
    with application.app_context():
        db.session.remove()


def test_a_slow_dispatcher_renews_its_lease_so_a_second_one_sends_nothing_twice(slow_app):
    with slow_app.app_context():
        alice = users.create_user(actor=None, username="alice", email="alice@example.com", full_name="Alice",
                                  role=Role.MANAGER, password="correct-horse-battery")
        bob = users.create_user(actor=None, username="bob", email="bob@example.com", full_name="Bob",
                                role=Role.AGENT, password="correct-horse-battery")
        for i in range(12):
            tasks.create_task(actor=alice, title=f"Task {i}", assigned_to=bob.id)
        db.session.remove()
    errors = []

    def first():
        try:
            with slow_app.app_context():
                dispatcher.drain()
                db.session.remove()
        except Exception as error:  # surfaced below
            errors.append(error)

    thread = threading.Thread(target=first)
    thread.start()
    with slow_app.app_context():
        def first_lease():
            try:
                return db.session.scalar(
                    select(func.min(OutboxMessage.claimed_until)).where(OutboxMessage.status == "sending"))
            finally:
                db.session.rollback()  # SQLite: each transaction holds the write lock; let the dispatcher write

        lease = first_lease()
        while lease is None and thread.is_alive():
            time.sleep(0.05)
            lease = first_lease()
        # The first dispatcher's original lease has run out while it is still sending its batch.
        while utcnow() < lease + timedelta(seconds=0.3):
            time.sleep(0.05)
        assert len(slow_app.inbox.messages) < 10
        dispatcher.drain()  # the second dispatcher: only what nobody holds
        db.session.remove()
    thread.join(timeout=60)
    assert not errors

    with slow_app.app_context():
        emails = list(db.session.scalars(select(OutboxMessage)))
        db.session.remove()
    assert len(emails) == 12 and {m.status for m in emails} == {"sent"}
    assert _received_ids(slow_app.inbox) == _expected_ids(emails)  # each exactly once


def _started_by_a_dispatcher_that_died(message_id: uuid.UUID, at) -> None:
    """The row as a dispatcher leaves it that committed the start of a send and then died."""
    session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(send_started_at=at))
    session.commit()


def test_an_sms_found_started_after_a_takeover_is_dead_and_not_sent_again(
    channels, team, smtp_server, aws_endpoint, caplog
):
    notices.update_settings(user=team["bob"], changes={NotificationType.TASK_ASSIGNMENT: {"sms": True}})
    _assign_many(team, 1)  # an email, an SMS and an SNS event
    t0 = utcnow()
    stalled = dispatcher.claim(now=t0)
    [sms] = [m for m in stalled.messages if m.channel == "sms"]
    _started_by_a_dispatcher_that_died(sms.id, t0)

    result = dispatcher.drain(now=t0 + timedelta(seconds=61))
    assert result.dead == [sms.id] and len(result.sent) == 2
    [row] = _messages("sms")
    assert (row.status, row.last_error) == ("dead", "delivery unknown: the dispatcher stopped mid-send")
    assert _texts_to(aws_endpoint, team["bob"]) == []
    assert "stopped mid-send" in caplog.text
    assert {m.status for m in _messages() if m.channel != "sms"} == {"sent"}


def test_an_sms_is_marked_started_then_sent_and_an_admin_retry_sends_it_again(channels, team, aws_endpoint):
    notices.update_settings(user=team["bob"], changes={NotificationType.TASK_ASSIGNMENT: {"sms": True}})
    _assign_many(team, 1)
    t0 = utcnow()
    stalled = dispatcher.claim(now=t0)
    [sms] = [m for m in stalled.messages if m.channel == "sms"]
    _started_by_a_dispatcher_that_died(sms.id, t0)
    dispatcher.drain(now=t0 + timedelta(seconds=61))
    # An Admin who checked the phone never got it asks for it again: a retry is a deliberate new send.
    notices.retry_message(actor=team["dave"], message_id=sms.id)
    assert len(dispatcher.drain(now=t0 + timedelta(seconds=62)).sent) == 1
    [row] = _messages("sms")
    assert row.status == "sent" and row.send_started_at is not None
    assert len(_texts_to(aws_endpoint, team["bob"])) == 1


def test_an_sms_whose_answer_never_came_is_not_sent_again(app, ctx, team, aws_endpoint):
    proxy = TcpProxy(aws_endpoint, answer_delay=2)  # SNS takes the SMS; its answer comes after the timeout
    try:
        use_channels(app, aws_endpoint=proxy.url, smtp_url=None, MAIL_SES=False, OUTBOX_SEND_TIMEOUT_SECONDS=1)
        notices.update_settings(user=team["bob"], changes={NotificationType.TASK_ASSIGNMENT: {"sms": True}})
        _assign_many(team, 1)
        result = dispatcher.drain()
        [row] = _messages("sms")
        assert result.dead == [row.id]
        assert row.status == "dead" and row.last_error.startswith("delivery unknown: ReadTimeoutError")
        assert row.attempts == 1
        assert len(_texts_to(aws_endpoint, team["bob"])) == 1  # one try: not repeated by the client either
        assert dispatcher.drain(now=utcnow() + timedelta(hours=2)).handled == 0
        assert len(_texts_to(aws_endpoint, team["bob"])) == 1
    finally:
        proxy.close()


def _ses_messages(endpoint: str, to: str) -> list[dict]:
    import json
    import urllib.request

    with urllib.request.urlopen(f"{endpoint}/moto-api/data.json") as response:
        data = json.load(response)
    return [m for m in data["ses"]["Message"] if to in m["destinations"]["ToAddresses"]]


def test_email_through_ses_is_sent_at_most_once(app, ctx, team, aws_endpoint):
    """SES replaces the Message-ID and has no idempotency key: a receiver could not drop a repeat."""
    use_channels(app, aws_endpoint=aws_endpoint, smtp_url=None, MAIL_SES=True)
    boto3.client("ses", endpoint_url=aws_endpoint, region_name="us-east-1").verify_email_identity(
        EmailAddress="workflow@example.com")
    _assign_many(team, 2)
    t0 = utcnow()
    stalled = dispatcher.claim(now=t0)
    first, second = stalled.messages
    _started_by_a_dispatcher_that_died(first.id, t0)

    result = dispatcher.drain(now=t0 + timedelta(seconds=61))
    assert result.dead == [first.id] and result.sent == [second.id]
    rows = {m.id: m for m in _messages("email")}
    assert rows[first.id].last_error == dispatcher.STOPPED_MID_SEND
    assert rows[second.id].status == "sent" and rows[second.id].send_started_at is not None
    assert len(_ses_messages(aws_endpoint, team["bob"].email)) == 1


def test_messages_claimed_by_the_lambda_handler_are_fenced_the_same_way(channels, team, smtp_server):
    bob = team["bob"]
    task = SimpleNamespace(id=uuid.uuid4(), title="Fix printer")
    planned = OutboxMessage(
        id=uuid7(), channel="email", user_id=bob.id, status="pending", attempts=0, next_attempt_at=utcnow(),
        payload=outbox.email_payload(to=bob.email, kind="Task Assignment", content="Alice assigned you", task=task),
    )
    handler = dispatcher.claim_planned([planned], [])  # the Lambda handler's claim, then it stalls
    [row] = _messages("email")
    assert (row.status, row.claim_token) == ("sending", handler.token)

    later = utcnow() + timedelta(seconds=61)
    assert len(dispatcher.drain(now=later).sent) == 1  # the dispatcher takes it over
    assert dispatcher.deliver_claimed(handler, now=later).lost == [planned.id]
    assert _received_ids(smtp_server) == _expected_ids([planned])


def test_settings_under_which_a_send_could_outlast_its_lease_are_refused(app, ctx):
    app.config.update(OUTBOX_LEASE_SECONDS=30, OUTBOX_SEND_TIMEOUT_SECONDS=15)
    with pytest.raises(ValueError, match="at most a third of OUTBOX_LEASE_SECONDS"):
        dispatcher.start_thread(app)
    with pytest.raises(ValueError, match="OUTBOX_SEND_TIMEOUT_SECONDS"):
        dispatcher.claim()
    app.config.update(OUTBOX_LEASE_SECONDS=45)
    assert dispatcher.claim().messages == []


def test_an_smtp_exchange_ends_at_its_deadline_however_slow_each_step(scripted_inbox):
    """Each step answers well within the timeout, all together do not: the send is cut at the deadline."""
    inbox = scripted_inbox(rcpt_delay=0.6, delay=0.6)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "workflow@example.com", "bob@example.com", "Slow"
    message.set_content("hello")
    with pytest.raises(OSError):  # smtplib reports the timed-out read as a disconnection
        mail.send_smtp(url=inbox.url, message=message, timeout=1)
    mail.send_smtp(url=inbox.url, message=message, timeout=5)
    assert len(inbox.messages) >= 1
