"""Reminders and the daily digest on each user's clock: due times named in their zone, the digest at the
configured time in their zone; delivered by a real SMTP server (aiosmtpd) and moto's SMS."""
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import select, update

from db import session
from db.models import EmailDigestItem, Notification, NotificationType, User
from notifications import digest, dispatcher
from tests.notifications.conftest import sms_sent
from workflow import digests, reminders, tasks
from workflow import notifications as notices

#: New York's clocks go forward at 02:00 on 14 March 2027: noon UTC that day is 08:00 there.
DUE = datetime(2027, 3, 14, 12, 0, tzinfo=timezone.utc)
AT_SEVEN = time(7, 0)


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def _zone(user, zone: str) -> None:
    session.execute(update(User).where(User.id == user.id).values(time_zone=zone))
    session.commit()


def _emails_to(smtp_server, address) -> list:
    return [r["message"] for r in smtp_server.messages if address in r["to"]]


def test_a_reminder_names_the_due_time_on_the_recipients_clock(channels, team, smtp_server, aws_endpoint):
    alice, bob, carol = team["alice"], team["bob"], team["carol"]
    _zone(bob, "America/New_York")
    notices.update_settings(user=bob, changes={NotificationType.DUE_DATE: {"sms": True}})
    tasks.create_task(actor=alice, title="Renew licence", assigned_to=bob.id, due_date=DUE)
    tasks.create_task(actor=alice, title="File report", assigned_to=carol.id, due_date=DUE)  # Carol: no zone, UTC
    dispatcher.drain()
    smtp_server.messages.clear()

    assert reminders.remind(now=DUE - timedelta(hours=20)) == 2
    dispatcher.drain()
    said = "'Renew licence' is due within 24 hours, at Sun 14 Mar 08:00 New York time"
    [email] = _emails_to(smtp_server, bob.email)
    assert said in email.get_body(("plain",)).get_content()
    assert any(said in text for text in sms_sent(aws_endpoint, bob.phone))
    [notice] = session.scalars(select(Notification.content).where(
        Notification.user_id == bob.id, Notification.type == NotificationType.DUE_DATE))
    assert notice == said
    [to_carol] = _emails_to(smtp_server, carol.email)
    assert "'File report' is due within 24 hours, at Sun 14 Mar 12:00 UTC" in to_carol.get_body(("plain",)).get_content()

    assert reminders.remind(now=DUE + timedelta(minutes=5)) == 2
    overdue = session.scalars(select(Notification.content).where(
        Notification.user_id == bob.id, Notification.type == NotificationType.DUE_DATE).order_by(Notification.id)).all()
    assert overdue[-1] == "'Renew licence' is overdue: it was due Sun 14 Mar 08:00 New York time"


def _digest_user(user) -> None:
    notices.set_email_mode(user=user, mode=digest.DAILY_DIGEST)


def test_each_user_gets_the_digest_at_the_configured_time_on_their_own_clock(channels, team, smtp_server):
    alice, bob, carol, dave = team["alice"], team["bob"], team["carol"], team["dave"]
    _zone(bob, "Asia/Tokyo")
    _zone(carol, "America/New_York")
    for user in (bob, carol, dave):  # Dave has no zone: his clock is UTC
        _digest_user(user)
        tasks.create_task(actor=alice, title=f"For {user.full_name}", assigned_to=user.id)
    # Every item arrived at noon UTC on 1 June 2026 (21:00 in Tokyo, 08:00 in New York).
    session.execute(update(EmailDigestItem).values(created_at=utc(2026, 6, 1, 12, 0)))
    session.commit()

    def run(*when) -> set:
        before = {m["to"][0] for m in smtp_server.messages}
        digests.send_digests(now=utc(*when), at=AT_SEVEN)
        dispatcher.drain()
        return {m["to"][0] for m in smtp_server.messages} - before

    assert run(2026, 6, 1, 21, 59) == set()  # 06:59 in Tokyo; New York's 07:00 came before the items
    assert run(2026, 6, 1, 22, 0) == {bob.email}  # 07:00 on 2 June in Tokyo
    assert run(2026, 6, 1, 22, 30) == set()  # once a day
    assert run(2026, 6, 2, 6, 59) == set()
    assert run(2026, 6, 2, 7, 0) == {dave.email}  # 07:00 UTC
    assert run(2026, 6, 2, 10, 59) == set()
    assert run(2026, 6, 2, 11, 0) == {carol.email}  # 07:00 daylight time in New York
    assert run(2026, 6, 3, 12, 0) == set()  # nothing new since

    [to_bob] = _emails_to(smtp_server, bob.email)
    text = to_bob.get_body(("plain",)).get_content()
    assert "- Mon 1 Jun 21:00 [Task Assignment] Alice Agent assigned you 'For Bob Builder'" in text
    assert "Times in Tokyo time." in text
    [to_carol] = _emails_to(smtp_server, carol.email)
    assert "- Mon 1 Jun 08:00 [Task Assignment]" in to_carol.get_body(("plain",)).get_content()


def test_the_scheduled_run_reads_the_configured_time(channels, team, smtp_server):
    bob = team["bob"]
    _zone(bob, "Asia/Tokyo")
    _digest_user(bob)
    tasks.create_task(actor=team["alice"], title="Fix printer", assigned_to=bob.id)
    session.execute(update(EmailDigestItem).values(created_at=utc(2026, 6, 1, 12, 0)))
    session.commit()
    channels.config["SCHEDULE_DIGEST_AT"] = "08:30"
    assert digests.send_due_digests(now=utc(2026, 6, 1, 23, 29)) == 0  # 08:29 in Tokyo
    assert digests.send_due_digests(now=utc(2026, 6, 1, 23, 30)) == 1
