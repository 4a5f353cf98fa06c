"""Lambda handlers with real event payloads: an SNS notification event read back from the topic, an EventBridge schedule."""
import json
import uuid
from datetime import timedelta

import boto3
import pytest
from sqlalchemy import func, select

from db import session
from db.models import Notification, NotificationType, OutboxMessage
from db.types import utcnow
from jobs import lambda_handlers
from notifications import digest, dispatcher
from tests.notifications.conftest import use_channels
from workflow import notifications as notices
from workflow import tasks


def _lambda_event(topic, envelope: dict) -> dict:
    """The event Lambda hands a function subscribed to the topic: the SNS envelope as `Sns`."""
    return {
        "Records": [{
            "EventSource": "aws:sns",
            "EventVersion": "1.0",
            "EventSubscriptionArn": f"{topic.arn}:{uuid.uuid4()}",
            "Sns": {
                "Type": envelope["Type"], "MessageId": envelope["MessageId"], "TopicArn": envelope["TopicArn"],
                "Subject": envelope.get("Subject"), "Message": envelope["Message"], "Timestamp": envelope["Timestamp"],
                "SignatureVersion": envelope.get("SignatureVersion", "1"), "Signature": envelope.get("Signature", ""),
                "SigningCertUrl": envelope.get("SigningCertURL", ""), "UnsubscribeUrl": envelope.get("UnsubscribeURL", ""),
                "MessageAttributes": envelope["MessageAttributes"],
            },
        }]
    }


def _published(topic) -> list[dict]:
    """The SNS envelopes that reached the topic's queue, as SNS wrote them."""
    sqs = boto3.client("sqs", endpoint_url=topic.endpoint, region_name="us-east-1")
    batch = sqs.receive_message(QueueUrl=topic.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    return [json.loads(message["Body"]) for message in batch.get("Messages", [])]


@pytest.fixture
def lambda_app(app, monkeypatch):
    """The handlers' container app is the test's app."""
    monkeypatch.setattr(lambda_handlers, "_app", app)
    return app


@pytest.fixture
def web_publishes_only(app, ctx, aws_endpoint, sns_topic):
    """The web side of serverless delivery: events go to SNS, email and SMS are off."""
    use_channels(app, aws_endpoint=aws_endpoint, topic_arn=sns_topic.arn, smtp_url=None, MAIL_SES=False)
    app.config["SMS_ENABLED"] = False
    return app


def test_an_sns_event_is_delivered_as_email_once(lambda_app, web_publishes_only, team, sns_topic, smtp_server):
    task = tasks.create_task(actor=team["alice"], title="Fix printer", assigned_to=team["bob"].id)
    assert len(dispatcher.drain().sent) == 1  # the SNS publication only
    [envelope] = _published(sns_topic)
    event = _lambda_event(sns_topic, envelope)
    assert event["Records"][0]["Sns"]["MessageAttributes"]["type"] == {"Type": "String", "Value": "Task Assignment"}

    # The Lambda's own environment sends email.
    lambda_app.config.update(SMTP_URL=smtp_server.url)
    assert lambda_handlers.notification_handler(event, None) == {"sent": 1, "failed": 0, "skipped": 0, "invalid": 0}
    [mail] = smtp_server.messages
    assert mail["to"] == [team["bob"].email]
    assert mail["message"]["Subject"] == "[Task Assignment] Fix printer"
    assert f"https://workflow.example.com/tasks/{task.id}" in mail["message"].get_body(("plain",)).get_content()

    # SNS delivers at least once: the same event again sends nothing more.
    assert lambda_handlers.notification_handler(event, None)["skipped"] == 1
    assert len(smtp_server.messages) == 1
    row = session.get(OutboxMessage, uuid.UUID(mail["message"]["Message-ID"].strip("<>").split("@")[0]))
    assert row.status == "sent" and row.channel == "email"


def test_a_digest_user_gets_a_digest_item_not_an_email(lambda_app, web_publishes_only, team, sns_topic, smtp_server):
    notices.set_email_mode(user=team["bob"], mode=digest.DAILY_DIGEST)
    tasks.create_task(actor=team["alice"], title="Fix scanner", assigned_to=team["bob"].id)
    dispatcher.drain()
    [envelope] = _published(sns_topic)
    event = _lambda_event(sns_topic, envelope)
    lambda_app.config.update(SMTP_URL=smtp_server.url)
    assert lambda_handlers.notification_handler(event, None)["sent"] == 0
    assert lambda_handlers.notification_handler(event, None)["sent"] == 0  # SNS may deliver it twice
    assert smtp_server.messages == []
    [item] = digest.pending_items(user_id=team["bob"].id)
    assert item.task_title == "Fix scanner" and item.type == NotificationType.TASK_ASSIGNMENT


def test_a_failed_send_is_left_to_the_dispatcher_with_the_same_id(lambda_app, web_publishes_only, team, sns_topic):
    from tests.notifications.conftest import dead_port_url

    tasks.create_task(actor=team["alice"], title="Fix printer", assigned_to=team["bob"].id)
    dispatcher.drain()
    [envelope] = _published(sns_topic)
    lambda_app.config.update(SMTP_URL=dead_port_url())
    assert lambda_handlers.notification_handler(_lambda_event(sns_topic, envelope))["failed"] == 1
    [row] = session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "email"))
    assert row.status == "pending" and row.last_error


def test_a_message_that_is_not_an_event_is_dropped(lambda_app, ctx):
    event = {"Records": [{"EventSource": "aws:sns", "Sns": {"MessageId": "m-1", "Message": "hello", "MessageAttributes": {}}}]}
    assert lambda_handlers.notification_handler(event)["invalid"] == 1


def test_the_app_is_built_once_per_container(app, monkeypatch):
    built = []
    monkeypatch.setattr(lambda_handlers, "_app", None)
    monkeypatch.setattr(lambda_handlers, "_build_app", lambda: built.append(1) or app)
    for _ in range(3):
        lambda_handlers.notification_handler({"Records": []}, None)
    assert built == [1]


SCHEDULED_EVENT = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-11-25T12:00:00Z",
    "region": "us-east-1",
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/workflow-manager-reminders"],
    "detail": {},
}


def test_a_scheduled_event_runs_the_reminder_scan_once(lambda_app, ctx, team):
    task = tasks.create_task(
        actor=team["alice"], title="Renew the certificate", assigned_to=team["bob"].id, due_date=utcnow() + timedelta(hours=3)
    )

    def reminders_for_bob() -> int:
        return session.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == team["bob"].id, Notification.type == NotificationType.DUE_DATE,
            Notification.related_task_id == task.id,
        ))

    assert lambda_handlers.reminder_handler(SCHEDULED_EVENT, None) == {"reminders": 1}
    assert reminders_for_bob() == 1
    assert lambda_handlers.reminder_handler(SCHEDULED_EVENT, None) == {"reminders": 0}
    assert reminders_for_bob() == 1
