"""Due-date reminders: due within 24 hours and overdue, to the assignee (else the creator), once each."""
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select

from cli import notifications_cli
from db import session
from db.models import DueReminder, Notification, NotificationType, OutboxMessage, TaskStatus
from db.types import utcnow
from domain import times
from notifications import dispatcher
from workflow import reminders, tasks


def _due_notices(user) -> list[str]:
    rows = session.scalars(
        select(Notification.content)
        .where(Notification.user_id == user.id, Notification.type == NotificationType.DUE_DATE)
        .order_by(Notification.id)
    )
    return list(rows)


def test_reminders_reach_the_right_people_once_per_threshold(channels, team, smtp_server, sns_topic):
    alice, bob = team["alice"], team["bob"]
    # Reminders run two days from now: due dates cannot be set in the past.
    now = utcnow() + timedelta(days=2)
    soon = tasks.create_task(actor=alice, title="Renew licence", assigned_to=bob.id, due_date=now + timedelta(hours=3))
    late = tasks.create_task(actor=alice, title="File report", due_date=now - timedelta(days=1))  # unassigned: Alice
    tasks.create_task(actor=alice, title="Later", assigned_to=bob.id, due_date=now + timedelta(days=3))
    done = tasks.create_task(actor=alice, title="Done already", assigned_to=bob.id, due_date=now - timedelta(hours=36))
    for status in (TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED):
        tasks.change_status(actor=bob, task_id=done.id, status=status)
    dispatcher.drain()
    sns_topic.received()
    smtp_server.messages.clear()

    assert reminders.remind(now=now) == 2
    assert reminders.remind(now=now) == 0  # run twice: nothing new
    # Neither has a time zone: their times read in UTC.
    due_soon = f"'Renew licence' is due within 24 hours, at {times.moment(soon.due_date, bob)} UTC"
    assert _due_notices(bob) == [due_soon]
    assert _due_notices(alice) == [f"'File report' is overdue: it was due {times.moment(late.due_date, alice)} UTC"]
    dispatcher.drain()
    assert sorted(r["to"][0] for r in smtp_server.messages) == sorted([alice.email, bob.email])  # Due Date: email on
    published = sns_topic.received()
    assert sorted((p["attributes"]["type"], p["attributes"]["user"]) for p in published) == [("Due Date", "system")] * 2

    # A day later the first task is overdue too: one more reminder, once.
    later = now + timedelta(hours=4)
    assert reminders.remind(now=later) == 1
    assert reminders.remind(now=later) == 0
    assert _due_notices(bob) == [due_soon, f"'Renew licence' is overdue: it was due {times.moment(soon.due_date, bob)} UTC"]
    assert {(r.task_id, r.threshold) for r in session.scalars(select(DueReminder))} == {
        (soon.id, "due_soon"), (late.id, "overdue"), (soon.id, "overdue"),
    }


def test_a_moved_due_date_is_reminded_again(ctx, team):
    now = utcnow()
    task = tasks.create_task(actor=team["alice"], title="Renew licence", assigned_to=team["bob"].id,
                             due_date=now + timedelta(hours=3))
    assert reminders.remind(now=now) == 1
    tasks.update_task(actor=team["alice"], task_id=task.id, changes={"due_date": now + timedelta(hours=20)})
    assert reminders.remind(now=now) == 1
    assert len(_due_notices(team["bob"])) == 2


def test_remind_command_is_idempotent(app, team):
    tasks.create_task(actor=team["alice"], title="Renew licence", assigned_to=team["bob"].id,
                      due_date=utcnow() + timedelta(hours=1))
    runner = CliRunner()
    with app.app_context():
        first = runner.invoke(notifications_cli, ["remind"])
        second = runner.invoke(notifications_cli, ["remind"])
    assert first.output.strip() == "1 reminders sent" and second.output.strip() == "0 reminders sent"
    assert session.scalars(select(OutboxMessage)).all() == []  # outside channels are off in this app
