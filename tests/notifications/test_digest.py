"""The daily email digest: events queue email for digest users; one email per user per run, through the outbox."""
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select, update

from cli import notifications_cli
from db import session
from db.models import EmailDigestItem, NotificationType, OutboxMessage, TaskStatus, User
from db.types import utcnow
from notifications import digest, dispatcher
from workflow import comments, digests, tasks
from workflow import notifications as notices

T = NotificationType


def _emails_to(smtp_server, address) -> list:
    return [r["message"] for r in smtp_server.messages if address in r["to"]]


def _digest_user(user):
    notices.set_email_mode(user=user, mode=digest.DAILY_DIGEST)
    # Comments and status changes by email too, so a day has several kinds.
    notices.update_settings(user=user, changes={T.COMMENT: {"email": True}, T.STATUS_CHANGE: {"email": True}})


def test_digest_users_get_one_email_with_everything(channels, team, smtp_server):
    bob, carol = team["bob"], team["carol"]
    _digest_user(bob)
    task = tasks.create_task(actor=team["alice"], title="Fix printer", assigned_to=bob.id)
    other = tasks.create_task(actor=team["alice"], title="Order toner", assigned_to=bob.id)
    comments.add_comment(actor=team["alice"], task_id=task.id, body="Any news?")
    # Carol takes email at once, as before.
    tasks.create_task(actor=team["alice"], title="Carol's", assigned_to=carol.id)

    dispatcher.drain()
    assert _emails_to(smtp_server, bob.email) == []  # nothing sent per event
    assert len(_emails_to(smtp_server, carol.email)) == 1
    assert len(digest.pending_items(user_id=bob.id)) == 3

    assert digests.send_digests() == 1
    dispatcher.drain()
    [email] = _emails_to(smtp_server, bob.email)
    assert email["Subject"] == "Your daily digest: 3 notifications"
    text = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    for line in (
        "[Task Assignment] Alice Agent assigned you 'Fix printer'",
        "[Task Assignment] Alice Agent assigned you 'Order toner'",
        "[Comment] Alice Agent commented on 'Fix printer'",
    ):
        assert line in text
    assert f"https://workflow.example.com/tasks/{other.id}" in text
    assert f'href="https://workflow.example.com/tasks/{task.id}"' in html
    # The in-app notices are unaffected by the email mode.
    assert digest.get_email_mode(user=bob)["last_digest_at"] is not None


def test_idempotent_and_only_what_is_new(channels, team, smtp_server):
    bob = team["bob"]
    _digest_user(bob)
    task = tasks.create_task(actor=team["alice"], title="Fix printer", assigned_to=bob.id)
    assert digests.send_digests() == 1
    assert digests.send_digests() == 0  # a second run sends nothing twice
    dispatcher.drain()
    assert len(_emails_to(smtp_server, bob.email)) == 1

    tasks.change_status(actor=team["alice"], task_id=task.id, status=TaskStatus.IN_PROGRESS)
    assert digests.send_digests() == 1
    dispatcher.drain()
    first, second = _emails_to(smtp_server, bob.email)
    assert second["Subject"] == "Your daily digest: 1 notification"
    body = second.get_body(("plain",)).get_content()
    assert "since your last digest" in body and "moved 'Fix printer'" in body and "assigned you" not in body


def test_the_digest_goes_through_the_outbox_and_survives_a_failed_send(channels, team, smtp_server):
    bob = team["bob"]
    _digest_user(bob)
    tasks.create_task(actor=team["alice"], title="Fix printer", assigned_to=bob.id)
    channels.config["SMTP_URL"] = "smtp://127.0.0.1:1"  # nobody listens: the send fails
    assert digests.send_digests() == 1
    result = dispatcher.drain()
    [message] = session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == bob.id, OutboxMessage.channel == "email"))
    assert message.id in result.failed and message.status == "pending"
    # The items are taken by that message: the next run does not write a second digest...
    assert digests.send_digests() == 0
    # ...and the retry delivers it once the server is back, with the same id.
    channels.config["SMTP_URL"] = smtp_server.url
    dispatcher.drain(now=utcnow() + timedelta(hours=1))
    [email] = _emails_to(smtp_server, bob.email)
    assert email["Message-ID"] == f"<{message.id}@workflow-manager>"


def test_items_wait_for_users_without_email_or_deactivated(channels, team, smtp_server):
    bob = team["bob"]
    _digest_user(bob)
    tasks.create_task(actor=team["alice"], title="Fix printer", assigned_to=bob.id)
    session.execute(update(User).where(User.id == bob.id).values(is_active=False))
    session.commit()
    assert digests.send_digests() == 0
    assert len(digest.pending_items(user_id=bob.id)) == 1


def test_back_to_immediate(channels, team, smtp_server):
    bob = team["bob"]
    _digest_user(bob)
    tasks.create_task(actor=team["alice"], title="Queued", assigned_to=bob.id)
    notices.set_email_mode(user=bob, mode=digest.IMMEDIATE)
    tasks.create_task(actor=team["alice"], title="At once", assigned_to=bob.id)
    dispatcher.drain()
    [at_once] = _emails_to(smtp_server, bob.email)
    assert at_once["Subject"] == "[Task Assignment] At once"
    # What was queued still comes in the next digest.
    assert digests.send_digests() == 1


def test_the_command(channels, team, smtp_server):
    _digest_user(team["bob"])
    tasks.create_task(actor=team["alice"], title="Fix printer", assigned_to=team["bob"].id)
    with channels.app_context():
        result = CliRunner().invoke(notifications_cli, ["digest", "--dispatch"])
        again = CliRunner().invoke(notifications_cli, ["digest"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "1 digests queued"
    assert again.output.strip() == "0 digests queued"
    assert len(_emails_to(smtp_server, team["bob"].email)) == 1
    assert session.scalar(select(EmailDigestItem.outbox_message_id)) is not None


def test_api(client, channels, team, auth_headers):
    headers = auth_headers(team["bob"])
    url = "/api/notifications/settings/email"
    assert client.get(url, headers=headers).json == {"email_mode": "immediate", "last_digest_at": None}
    response = client.post(url, json={"email_mode": "daily_digest"}, headers=headers)
    assert response.status_code == 200 and response.json["email_mode"] == "daily_digest"
    assert client.post(url, json={"email_mode": "hourly"}, headers=headers).status_code == 422
    # The pinned settings body is unchanged.
    assert set(client.get("/api/notifications/settings", headers=headers).json) == {t.value for t in T}


def test_portal_email_mode(app, channels, team, monkeypatch):
    from portal.pages import preferences as page

    monkeypatch.setattr(page, "portal_user", lambda: team["bob"])
    page.save_email_mode(digest.DAILY_DIGEST)
    assert digest.get_email_mode(user=team["bob"])["email_mode"] == digest.DAILY_DIGEST
