"""Each event reaches the right outside channels per preferences: email over SMTP, SMS and the event
topic over SNS, written to the outbox in the change's transaction and delivered by the dispatcher."""
import logging

import pytest
from sqlalchemy import select

from db import session
from db.models import NotificationType, OutboxMessage, TaskStatus
from domain.errors import InvalidTransition
from notifications import dispatcher, outbox
from tests.notifications.conftest import sms_sent, use_channels
from workflow import comments, tasks, users, watchers
from workflow import notifications as notices

T = NotificationType


def _outbox() -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _emails(smtp_server) -> dict[str, list]:
    """Received emails by recipient address."""
    by_address = {}
    for received in smtp_server.messages:
        for address in received["to"]:
            by_address.setdefault(address, []).append(received["message"])
    return by_address


def _opt_in(user, kind, **channels):
    notices.update_settings(user=user, changes={kind: channels})


def test_assignment_reaches_email_sms_and_the_topic(channels, team, sns_topic, smtp_server, aws_endpoint):
    bob = team["bob"]
    _opt_in(bob, T.TASK_ASSIGNMENT, sms=True)
    task = tasks.create_task(actor=team["alice"], title="Fix printer", assigned_to=bob.id)

    rows = _outbox()
    assert sorted((m.channel, m.status) for m in rows) == [("email", "pending"), ("sms", "pending"), ("sns", "pending")]
    result = dispatcher.drain()
    assert len(result.sent) == 3 and not result.failed
    assert {m.status for m in _outbox()} == {"sent"}
    ids = {m.channel: str(m.id) for m in rows}

    [email] = _emails(smtp_server)[bob.email]
    assert email["Message-ID"] == f"<{ids['email']}@workflow-manager>"
    assert email["Subject"] == "[Task Assignment] Fix printer"
    assert email.get_content_type() == "multipart/alternative"
    text = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    link = f"https://workflow.example.com/tasks/{task.id}"
    assert "Alice Agent assigned you 'Fix printer'" in text and link in text
    assert f'href="{link}"' in html

    [texted] = sms_sent(aws_endpoint, bob.phone)
    assert "Alice Agent assigned you 'Fix printer'" in texted and link in texted

    [published] = sns_topic.received()
    assert published["attributes"] == {
        "type": "Task Assignment", "user": str(team["alice"].id), "task": str(task.id), "message_id": ids["sns"],
    }
    assert published["body"]["recipients"] == [str(bob.id)]


def test_status_change_follows_each_watchers_preferences(channels, team, sns_topic, smtp_server):
    task = tasks.create_task(actor=team["alice"], title="Fix printer", assigned_to=team["bob"].id)
    watchers.watch(actor=team["carol"], task_id=task.id)
    dispatcher.drain()
    sns_topic.received()
    smtp_server.messages.clear()
    # Status changes default to in-app only; Carol also wants them by email.
    _opt_in(team["carol"], T.STATUS_CHANGE, email=True)

    tasks.change_status(actor=team["bob"], task_id=task.id, status=TaskStatus.IN_PROGRESS)
    dispatcher.drain()
    assert set(_emails(smtp_server)) == {team["carol"].email}
    [published] = sns_topic.received()
    assert published["attributes"]["type"] == "Status Change"
    assert published["attributes"]["user"] == str(team["bob"].id)
    assert sorted(published["body"]["recipients"]) == sorted([str(team["alice"].id), str(team["carol"].id)])


def test_comment_mention_reaches_email_and_sms_when_chosen(channels, team, sns_topic, smtp_server, aws_endpoint):
    task = tasks.create_task(actor=team["alice"], title="Fix printer")
    carol = team["carol"]
    _opt_in(carol, T.COMMENT, email=True, sms=True)
    dispatcher.drain()
    sns_topic.received()

    comments.add_comment(actor=team["bob"], task_id=task.id, body=f"@{carol.username} can you look?")
    dispatcher.drain()
    [email] = _emails(smtp_server)[carol.email]
    assert "Bob Builder mentioned you on 'Fix printer'" in email.get_body(("plain",)).get_content()
    assert len(sms_sent(aws_endpoint, carol.phone)) == 1
    assert team["alice"].email not in _emails(smtp_server)  # Alice keeps comments in-app only
    assert [p["attributes"]["type"] for p in sns_topic.received()] == ["Comment"]


def test_a_refused_change_leaves_no_outbox_rows(channels, team):
    task = tasks.create_task(actor=team["alice"], title="Fix printer", assigned_to=team["bob"].id)
    before = len(_outbox())
    with pytest.raises(InvalidTransition):
        tasks.change_status(actor=team["alice"], task_id=task.id, status=TaskStatus.COMPLETED)
    assert len(_outbox()) == before


def test_a_user_without_a_phone_skips_sms_without_failing(channels, team, smtp_server, caplog):
    dave = team["dave"]  # no phone
    _opt_in(dave, T.TASK_ASSIGNMENT, sms=True)
    with caplog.at_level(logging.INFO, logger="notifications.outbox"):
        tasks.create_task(actor=team["alice"], title="Audit", assigned_to=dave.id)
    assert sorted(m.channel for m in _outbox()) == ["email", "sns"]
    assert "no E.164 phone number: SMS skipped" in caplog.text
    assert len(dispatcher.drain().sent) == 2


def test_without_a_topic_sns_is_off_and_says_so_once(app, team, aws_endpoint, smtp_server, caplog):
    use_channels(app, aws_endpoint=aws_endpoint, topic_arn=None, smtp_url=smtp_server.url)
    outbox._said.clear()
    with caplog.at_level(logging.INFO, logger="notifications.outbox"):
        for n in range(3):
            tasks.create_task(actor=team["alice"], title=f"Task {n}", assigned_to=team["bob"].id)
    assert sorted(m.channel for m in _outbox()) == ["email"] * 3
    assert caplog.text.count("SNS_TOPIC_ARN is not set") == 1


def test_a_deactivated_user_gets_no_outside_messages(channels, team):
    task = tasks.create_task(actor=team["alice"], title="Fix printer", assigned_to=team["bob"].id)
    _opt_in(team["bob"], T.COMMENT, email=True, sms=True)
    users.update_user(actor=team["dave"], user_id=team["bob"].id, changes={"is_active": False})
    before = {m.id for m in _outbox()}
    comments.add_comment(actor=team["carol"], task_id=task.id, body="Bob has left; taking over")
    assert [m.channel for m in _outbox() if m.id not in before] == ["sns"]  # Alice's in-app notice only
