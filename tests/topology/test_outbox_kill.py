"""`kill -9` of a dispatcher process in the middle of a batch, while an SMS it handed to SNS waits for its
answer; a second dispatcher process takes the batch over once the lease runs out. Every email and SNS event
arrives, repeats only under the same id (receivers drop them), and no SMS reaches the phone twice."""
import json
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import boto3
import pytest
from sqlalchemy import func, select

import db
from app import create_app
from db.models import NotificationType, OutboxMessage, Role
from notifications import dispatcher
from tests.conftest import BACKEND, TcpProxy, config_for, wait_until
from tests.notifications.conftest import sms_sent, use_channels
from tests.notifications.test_outbox_fencing import ScriptedInbox
from workflow import notifications as notices
from workflow import tasks, users

ROOT = Path(__file__).resolve().parents[2]
TASKS = 4  # an email, an SMS and an SNS event each

pytestmark = [
    pytest.mark.topology,
    pytest.mark.skipif(BACKEND != "postgresql", reason="the deployed topology runs on PostgreSQL (run once, there)"),
]


class World:
    """What the test set up, and what it reads back."""

    def __init__(self, **parts):
        self.__dict__.update(parts)

    def rows(self) -> list[OutboxMessage]:
        with self.app.app_context():
            rows = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.next_attempt_at)))
            db.session.remove()
        return rows

    def count(self, *conditions) -> int:
        with self.app.app_context():
            number = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(*conditions))
            db.session.remove()
        return number

    def sns_message_ids(self) -> Counter:
        sqs = boto3.client("sqs", endpoint_url=self.aws, region_name="us-east-1")
        seen = Counter()
        while batch := sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", []):
            for message in batch:
                seen[json.loads(message["Body"])["MessageAttributes"]["message_id"]["Value"]] += 1
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return seen


@pytest.fixture
def world(fresh_database, aws_endpoint, tmp_path):
    """A database with TASKS assignments queued, an SNS topic read through a queue, a slow SMTP server and
    SNS behind a proxy that holds each answer for a second."""
    url = fresh_database("wm_outbox_kill")
    sns, sqs = (boto3.client(name, endpoint_url=aws_endpoint, region_name="us-east-1") for name in ("sns", "sqs"))
    name = f"kill-{uuid.uuid4().hex[:8]}"
    topic_arn = sns.create_topic(Name=name)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    inbox = ScriptedInbox(delay=0.3)
    inbox.controller.start()
    proxy = TcpProxy(aws_endpoint, answer_delay=1.0)
    app = create_app(config_for(url))
    use_channels(app, aws_endpoint=aws_endpoint, topic_arn=topic_arn, smtp_url=inbox.url)
    phone = "+4477009" + str(uuid.uuid4().int)[:5]
    with app.app_context():
        alice = users.create_user(actor=None, username="alice", email="alice@example.com", full_name="Alice",
                                  role=Role.MANAGER, password="correct-horse-battery")
        bob = users.create_user(actor=None, username="bob", email="bob@example.com", full_name="Bob",
                                role=Role.AGENT, password="correct-horse-battery", phone=phone)
        notices.update_settings(user=bob, changes={NotificationType.TASK_ASSIGNMENT: {"sms": True}})
        for i in range(TASKS):
            tasks.create_task(actor=alice, title=f"Call the customer back {i}", assigned_to=bob.id)
        db.session.remove()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "DATABASE_URL": url,
        "SECRET_KEY": "outbox-kill-secret-key-long-enough-0123456789abcdef",
        "SMTP_URL": inbox.url,
        "MAIL_FROM": "workflow@example.com",
        "AWS_ENDPOINT_URL": proxy.url,
        "SNS_TOPIC_ARN": topic_arn,
        "SMS_ENABLED": "true",
        "MAIL_SES": "false",
        "OUTBOX_LEASE_SECONDS": "12",
        "OUTBOX_SEND_TIMEOUT_SECONDS": "4",
        "OUTBOX_POLL_SECONDS": "1",
        "LOG_JSON": "false",
    }
    env.pop("TEST_DATABASE_URL", None)
    started = []

    def start_dispatcher(log_name: str, **overrides) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "notifications", "dispatch"], cwd=ROOT,
            env={**env, **overrides}, stdout=open(tmp_path / f"{log_name}.log", "ab"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        started.append(process)
        return process

    yield World(app=app, inbox=inbox, aws=aws_endpoint, queue_url=queue_url, phone=phone,
                      start_dispatcher=start_dispatcher, logs=tmp_path)
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
    with app.app_context():
        db.session.remove()
    proxy.close()
    inbox.controller.stop()


def test_a_dispatcher_killed_mid_batch_sends_no_sms_twice_and_nothing_a_receiver_cannot_drop(world):
    first = world.start_dispatcher("first")

    def an_sms_in_flight() -> bool:
        # SNS has taken an SMS whose answer the dispatcher is still waiting for (after one that went through).
        marked = world.count(OutboxMessage.channel == "sms", OutboxMessage.status == "sent")
        return marked >= 1 and len(sms_sent(world.aws, world.phone)) > marked

    wait_until(an_sms_in_flight, 120, "the first dispatcher handing its second SMS to SNS", every=0.05)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    assert world.count(OutboxMessage.status.in_(("pending", "sending"))) > 1  # it died mid-batch

    # The second one talks to SNS directly; it takes the batch over when the dead one's lease runs out.
    world.start_dispatcher("second", AWS_ENDPOINT_URL=world.aws)
    wait_until(lambda: world.count(OutboxMessage.status.in_(("pending", "sending"))) == 0, 120,
               "the second dispatcher finishing the batch", every=0.05)

    rows = world.rows()
    by_channel = {channel: [row for row in rows if row.channel == channel] for channel in ("email", "sms", "sns")}
    assert {channel: len(found) for channel, found in by_channel.items()} == {"email": TASKS, "sms": TASKS, "sns": TASKS}
    texts = Counter(sms_sent(world.aws, world.phone))
    assert len(texts) == TASKS and set(texts.values()) == {1}, texts  # every SMS reached the phone, once
    [unknown] = [row for row in by_channel["sms"] if row.status == "dead"]
    assert unknown.last_error == dispatcher.STOPPED_MID_SEND
    assert {row.status for row in rows if row is not unknown} == {"sent"}
    # Email and events may repeat only under the id the receiver drops them by.
    emails = Counter(received["message"]["Message-ID"] for received in world.inbox.messages)
    assert set(emails) == {f"<{row.id}@workflow-manager>" for row in by_channel["email"]}
    assert set(world.sns_message_ids()) == {str(row.id) for row in by_channel["sns"]}
