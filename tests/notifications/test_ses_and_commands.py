"""Email through SES when no SMTP server is set; `notifications dispatch --once`; the embedded dispatcher thread."""
import json
import time
import urllib.request

import boto3
from click.testing import CliRunner

import db
from app import create_app
from cli import notifications_cli
from db.models import Role
from notifications import dispatcher
from tests.conftest import config_for
from tests.notifications.conftest import use_channels
from workflow import tasks, users


def _ses_messages(endpoint: str, to: str) -> list[dict]:
    with urllib.request.urlopen(f"{endpoint}/moto-api/data.json") as response:
        data = json.load(response)
    return [m for m in data["ses"]["Message"] if to in m["destinations"]["ToAddresses"]]


def test_without_smtp_email_goes_through_ses(app, team, aws_endpoint):
    use_channels(app, aws_endpoint=aws_endpoint, smtp_url=None, MAIL_SES=True)
    boto3.client("ses", endpoint_url=aws_endpoint, region_name="us-east-1").verify_email_identity(
        EmailAddress="workflow@example.com"
    )
    task = tasks.create_task(actor=team["alice"], title="Fix printer", assigned_to=team["bob"].id)
    assert len(dispatcher.drain().sent) == 1
    [sent] = _ses_messages(aws_endpoint, team["bob"].email)
    assert sent["subject"] == "[Task Assignment] Fix printer"
    assert f"https://workflow.example.com/tasks/{task.id}" in sent["body"]


def test_dispatch_once_drains_and_exits(channels, team, smtp_server):
    for n in range(3):
        tasks.create_task(actor=team["alice"], title=f"Task {n}", assigned_to=team["bob"].id)
    with channels.app_context():
        result = CliRunner().invoke(notifications_cli, ["dispatch", "--once"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "6 sent, 0 to retry, 0 dead"
    assert len(smtp_server.messages) == 3


def test_the_embedded_dispatcher_thread_delivers_on_its_own(fresh_database, aws_endpoint, sns_topic, smtp_server):
    application = create_app(config_for(fresh_database("wm_embedded"), OUTBOX_POLL_SECONDS=1))
    use_channels(application, aws_endpoint=aws_endpoint, topic_arn=sns_topic.arn, smtp_url=smtp_server.url)
    stop = dispatcher.start_thread(application)
    try:
        with application.app_context():
            alice = users.create_user(actor=None, username="alice", email="alice@example.com", full_name="Alice",
                                      role=Role.MANAGER, password="correct-horse-battery")
            bob = users.create_user(actor=None, username="bob", email="bob@example.com", full_name="Bob",
                                    role=Role.AGENT, password="correct-horse-battery")
            tasks.create_task(actor=alice, title="Fix printer", assigned_to=bob.id)
            db.session.remove()
        deadline = time.monotonic() + 15
        while not smtp_server.messages and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
    assert [m["to"] for m in smtp_server.messages] == [["bob@example.com"]]
