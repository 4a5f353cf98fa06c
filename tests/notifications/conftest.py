"""Outside channels for the delivery tests: an SNS topic read back through an SQS queue, SMS and
SMTP, all real servers over the wire (moto and aiosmtpd)."""
import json
import socket
import urllib.request
import uuid
from dataclasses import dataclass

import boto3
import pytest

import aws
from db.models import Role


@dataclass
class Topic:
    """An SNS topic with an SQS queue subscribed to it."""

    arn: str
    queue_url: str
    endpoint: str

    def received(self) -> list[dict]:
        """Every publication that reached the queue so far: {"body": dict, "attributes": {name: value}}."""
        sqs = boto3.client("sqs", endpoint_url=self.endpoint, region_name="us-east-1")
        out = []
        while True:
            batch = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = batch.get("Messages", [])
            if not messages:
                return out
            for message in messages:
                envelope = json.loads(message["Body"])
                attributes = {name: a["Value"] for name, a in envelope.get("MessageAttributes", {}).items()}
                out.append({"body": json.loads(envelope["Message"]), "attributes": attributes})
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def sns_topic(aws_endpoint):
    """A fresh topic and queue per test."""
    name = f"events-{uuid.uuid4().hex[:10]}"
    sns = boto3.client("sns", endpoint_url=aws_endpoint, region_name="us-east-1")
    sqs = boto3.client("sqs", endpoint_url=aws_endpoint, region_name="us-east-1")
    topic_arn = sns.create_topic(Name=name)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return Topic(arn=topic_arn, queue_url=queue_url, endpoint=aws_endpoint)


def sms_sent(endpoint: str, phone: str) -> list[str]:
    """The texts moto recorded as sent to `phone` (its backend data, read over HTTP)."""
    with urllib.request.urlopen(f"{endpoint}/moto-api/data.json") as response:
        data = json.load(response)
    return [sms["message"] for sms in data["sns"]["SMS"] if sms["phone_number"] == phone]


def dead_port_url(scheme: str = "smtp") -> str:
    """A URL on a local port nobody listens on: connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"{scheme}://127.0.0.1:{port}"


def use_channels(app, *, aws_endpoint, topic_arn=None, smtp_url=None, **settings) -> None:
    """Point the app's channels at the test servers (boto3 clients are rebuilt for the endpoint)."""
    defaults = {
        "MAIL_FROM": "workflow@example.com", "PUBLIC_URL": "https://workflow.example.com",
        "OUTBOX_BACKOFF_SECONDS": 10, "OUTBOX_BACKOFF_MAX_SECONDS": 300, "OUTBOX_LEASE_SECONDS": 60,
        "OUTBOX_MAX_ATTEMPTS": 5,
    }
    app.config.update(
        AWS_ENDPOINT_URL=aws_endpoint, SNS_TOPIC_ARN=topic_arn, SMTP_URL=smtp_url, SMS_ENABLED=True,
        **{**defaults, **settings},
    )
    aws.init_app(app)


@pytest.fixture
def channels(app, aws_endpoint, sns_topic, smtp_server):
    """The app with SNS, SMS and SMTP switched on against the test servers."""
    use_channels(app, aws_endpoint=aws_endpoint, topic_arn=sns_topic.arn, smtp_url=smtp_server.url)
    return app


@pytest.fixture
def team(ctx, make_user):
    """A manager, two agents with phones (distinct per test, since moto's SMS log is shared) and an admin."""
    def phone() -> str:
        return "+4477009" + str(uuid.uuid4().int)[:5]

    return {
        "alice": make_user(Role.MANAGER, full_name="Alice Agent", phone=phone()),
        "bob": make_user(Role.AGENT, full_name="Bob Builder", phone=phone()),
        "carol": make_user(Role.AGENT, full_name="Carol Clerk", phone=phone()),
        "dave": make_user(Role.ADMIN, full_name="Dave Admin"),
    }
