"""Report subscriptions: due at their hour on the owner's clock, delivered once per period (two beats, a retry, a
worker that died), the file the report's own CSV, the e-mail through the outbox (the file attached when small),
and stopped with the reason when the owner may no longer have the report."""
import base64
import json
import tempfile
import urllib.request
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import boto3
import pytest
from sqlalchemy import select, update

from db import session
from db.models import AuditEvent, OutboxMessage, Priority, ReportSubscription, ReportSubscriptionRun, Role, User
from domain.errors import Forbidden, ValidationFailed
from notifications import dispatcher
from reports import exports as files
from tests.notifications.conftest import use_channels
from workflow import saved_views, subscriptions, users

#: Tuesday 1 December 2026; Monday 7 December 2026 is in ISO week 50.
CREATED = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.fixture
def store(app, tmp_path):
    """Files go to a temporary local folder; e-mail is switched on (not sent unless a test drains the outbox)."""
    app.config.update(LOCAL_STORAGE_DIR=str(tmp_path / "store"), SMTP_URL="smtp://127.0.0.1:9", MAIL_FROM="wm@example.com",
                      PUBLIC_URL="https://workflow.example.com")
    return tmp_path / "store"


def _zone(user, zone: str) -> User:
    session.execute(update(User).where(User.id == user.id).values(time_zone=zone))
    session.commit()
    return session.get(User, user.id, populate_existing=True)


def _runs(subscription) -> list[ReportSubscriptionRun]:
    return list(session.scalars(select(ReportSubscriptionRun).where(ReportSubscriptionRun.subscription_id == subscription.id)
                                .execution_options(populate_existing=True)))


def _emails(user) -> list[OutboxMessage]:
    return [m for m in session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == user.id, OutboxMessage.channel == "email"))
            if m.payload["subject"].startswith("[Report]")]


def _stored(store, run) -> bytes:
    return (store / run.storage_key).read_bytes()


def test_a_weekly_subscription_run_twice_in_a_week_delivers_once(ctx, store, make_user, make_task):
    manager = make_user(Role.MANAGER)
    manager = _zone(manager, "Europe/Berlin")
    make_task(manager, title="Renew the certificate", priority=Priority.HIGH, assigned_to=manager.id)
    weekly = subscriptions.subscribe(actor=manager, report="workload", filters={"table": "by_assignee"},
                                     frequency="weekly", hour=9, now=CREATED)
    assert weekly.weekday == 0  # Monday unless told

    # Monday 09:00 in Berlin is 08:00 UTC: not before it, then once for the week however often beat looks.
    assert subscriptions.run_due(now=utc(2026, 12, 7, 7, 59)) == 0
    assert subscriptions.run_due(now=utc(2026, 12, 7, 8, 0)) == 1
    assert subscriptions.run_due(now=utc(2026, 12, 7, 8, 5)) == 0
    assert subscriptions.run_due(now=utc(2026, 12, 11, 17, 0)) == 0
    [run] = _runs(weekly)
    assert (run.period, run.status, run.attempts) == ("2026-W50", "done", 1)
    assert len(_emails(manager)) == 1

    # The next week is a new period.
    assert subscriptions.run_due(now=utc(2026, 12, 14, 9, 0)) == 1
    assert sorted(r.period for r in _runs(weekly)) == ["2026-W50", "2026-W51"]
    assert len(_emails(manager)) == 2

    # In the audit log: the subscription, and each delivery as an export of the owner's.
    logged = list(session.scalars(select(AuditEvent).where(AuditEvent.target_id == str(weekly.id)).order_by(AuditEvent.at)))
    assert [(e.action, e.actor_id) for e in logged] == [("subscription.created", manager.id)] + [
        ("export.delivered", manager.id)] * 2
    assert [e.after["period"] for e in logged[1:]] == ["2026-W50", "2026-W51"]
    subscriptions.delete_subscription(actor=manager, subscription_id=weekly.id)
    assert session.scalar(select(AuditEvent.action).where(AuditEvent.target_id == str(weekly.id))
                          .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(1)) == "subscription.deleted"


def test_a_second_beat_finds_the_run_claimed_and_a_dead_workers_run_is_taken_over(ctx, store, make_user, app):
    viewer = make_user(Role.VIEWER)
    daily = subscriptions.subscribe(actor=viewer, report="tasks", filters={}, frequency="daily", hour=6, now=CREATED)
    now = utc(2026, 12, 2, 6, 30)
    # A worker claimed the day's run, then died: the run is held until its lease runs out, then taken over once.
    claimed = subscriptions._claim(daily.id, "2026-12-02", now)
    assert claimed is not None
    assert subscriptions._claim(daily.id, "2026-12-02", now) is None
    assert subscriptions.due(now=now) == []
    assert subscriptions.run_due(now=now) == 0
    later = now + timedelta(seconds=app.config["EXPORT_LEASE_SECONDS"] + 1)
    assert subscriptions.due(now=later) == [(daily.id, "2026-12-02")]
    assert subscriptions.run_due(now=later) == 1
    assert subscriptions.run_due(now=later + timedelta(hours=1)) == 0
    [run] = _runs(daily)
    assert (run.status, run.attempts, run.id) == ("done", 2, claimed[0])
    assert len(_emails(viewer)) == 1
    # The first worker comes back and tries to finish: its claim no longer holds, nothing changes.
    assert session.execute(update(ReportSubscriptionRun).where(subscriptions._owned(*claimed)).values(rows=0)).rowcount == 0


def test_daily_at_an_hour_on_the_owners_clock(ctx, store, make_user):
    agent = make_user(Role.AGENT)
    agent = _zone(agent, "America/New_York")  # UTC-5 in December
    # Created at 07:00 New York time: the 09:00 run of the same day is its first.
    daily = subscriptions.subscribe(actor=agent, report="tasks", filters={"status": "New"}, frequency="daily", hour=9,
                                    now=utc(2026, 12, 7, 12, 0))
    assert subscriptions.due(now=utc(2026, 12, 7, 13, 59)) == []
    assert subscriptions.run_due(now=utc(2026, 12, 7, 13, 59)) == 0
    assert subscriptions.due(now=utc(2026, 12, 7, 14, 0)) == [(daily.id, "2026-12-07")]
    assert subscriptions.run_due(now=utc(2026, 12, 7, 14, 1)) == 1
    # The next morning before nine (local) the day's run is done and the next one not due yet.
    assert subscriptions.due(now=utc(2026, 12, 8, 13, 59)) == []
    assert subscriptions.run_due(now=utc(2026, 12, 8, 14, 0)) == 1
    assert sorted(r.period for r in _runs(daily)) == ["2026-12-07", "2026-12-08"]
    assert subscriptions.next_run_at(daily, agent, utc(2026, 12, 8, 14, 0)) == utc(2026, 12, 9, 14, 0)
    assert subscriptions.schedule_text(daily, agent) == "Daily at 09:00 (New York time)"


def test_the_file_is_the_reports_csv_and_the_email_carries_link_and_file(ctx, store, make_user, make_task, app):
    manager = make_user(Role.MANAGER)
    for n in range(3):
        make_task(manager, title=f"Quarterly review {n}, \"draft\"", assigned_to=manager.id if n else None)
    sla = subscriptions.subscribe(actor=manager, report="sla", filters={"table": "by_assignee"}, frequency="daily",
                                  hour=0, now=CREATED)
    assert subscriptions.run_due(now=utc(2026, 12, 2, 0, 0)) == 1
    [run] = _runs(sla)
    expected = _write("sla", {"table": "by_assignee"}, store)
    assert _stored(store, run) == expected and run.bytes == len(expected) and run.attached
    [email] = _emails(manager)
    payload = email.payload
    assert payload["to"] == manager.email and payload["subject"] == "[Report] SLA report · by assignee: 2 Dec 2026"
    [attachment] = payload["attachments"]
    assert base64.b64decode(attachment["data"]) == expected
    assert attachment["filename"].startswith("sla-by-assignee-") and attachment["content_type"].startswith("text/csv")
    link = next(word for word in payload["text"].split() if "/api/subscriptions/files/" in word)
    assert link.startswith("https://workflow.example.com/api/subscriptions/files/")
    assert link in payload["html"]

    # Too large to attach: the link alone.
    app.config["SUBSCRIPTION_ATTACH_MAX_BYTES"] = 10
    assert subscriptions.run_due(now=utc(2026, 12, 3, 0, 0)) == 1
    latest = max(_runs(sla), key=lambda r: r.period)
    assert not latest.attached
    assert "attachments" not in max(_emails(manager), key=lambda m: m.created_at).payload


def _write(report: str, filters: dict, store) -> bytes:
    with tempfile.TemporaryFile() as out:
        files.write_csv(report=report, filters=filters, out=out)
        out.seek(0)
        return out.read()


def test_a_saved_view_runs_with_its_filters_as_they_are(ctx, store, make_user, make_task):
    agent = make_user(Role.AGENT)
    make_task(agent, title="Mine, new", assigned_to=agent.id)
    make_task(agent, title="Nobody's")
    view = saved_views.save_view(actor=agent, name="My new ones", state={
        "filters": {"scope": "mine", "status": "New", "priority": "any", "q": ""},
        "sort": [{"colId": "title", "sort": "asc"}], "columns": []})
    view_id, state = view.id, view.state
    subscription = subscriptions.subscribe(actor=agent, report=f"view:{view_id}", filters={"ignored": 1},
                                           frequency="daily", hour=8, now=CREATED)
    assert subscription.filters == {} and subscriptions.title(subscription, agent) == "Saved view 'My new ones'"
    subscription_id = subscription.id
    assert subscriptions.run_due(now=utc(2026, 12, 1, 11, 0)) == 0  # 08:00 had passed when it was made
    assert subscriptions.run_due(now=utc(2026, 12, 2, 8, 0)) == 1
    [run] = _runs(subscription)
    filters = {"assigned_to": str(agent.id), "status": "New", "sort": "title"}
    assert subscriptions.view_filters(state, agent) == filters
    assert _stored(store, run) == _write("tasks", filters, store) and run.rows == 1

    # Another user's view cannot be subscribed to; a deleted view stops the subscription.
    other = make_user(Role.AGENT)
    with pytest.raises(ValidationFailed):
        subscriptions.subscribe(actor=other, report=f"view:{view_id}", frequency="daily")
    saved_views.delete_view(actor=agent, view_id=view_id)
    assert subscriptions.run_due(now=utc(2026, 12, 3, 8, 0)) == 0
    subscription = session.get(ReportSubscription, subscription_id, populate_existing=True)
    assert (subscription.status, subscription.stopped_reason) == ("stopped", "the saved view was deleted")


def test_a_deactivated_owners_subscription_stops_and_delivers_nothing(ctx, store, make_user, people):
    viewer = make_user(Role.VIEWER)
    subscription = subscriptions.subscribe(actor=viewer, report="flow-metrics", filters={"table": "throughput"},
                                           frequency="weekly", weekday=2, hour=7, now=CREATED)
    users.update_user(actor=people["admin"], user_id=viewer.id, changes={"is_active": False})
    assert subscriptions.run_due(now=utc(2026, 12, 9, 7, 0)) == 0
    session.refresh(subscription)
    assert subscription.status == "stopped" and subscription.stopped_reason == "its owner was deactivated"
    assert subscription.stopped_at == utc(2026, 12, 9, 7, 0)
    assert _runs(subscription) == [] and _emails(viewer) == []
    # Stopped is stopped: reactivating the owner does not bring it back by itself, and it stays listed.
    users.update_user(actor=people["admin"], user_id=viewer.id, changes={"is_active": True})
    assert subscriptions.run_due(now=utc(2026, 12, 16, 7, 0)) == 0
    listed = subscriptions.list_subscriptions(actor=viewer, limit=10, cursor=None).items
    assert [(s.id, s.status) for s in listed] == [(subscription.id, "stopped")]
    assert subscriptions.next_run_at(subscription, viewer, utc(2026, 12, 16, 7, 0)) is None


def test_a_role_that_may_no_longer_read_analytics_stops_them(ctx, store, make_user, people):
    manager = make_user(Role.MANAGER)
    analytics = subscriptions.subscribe(actor=manager, report="sla", frequency="daily", now=CREATED)
    task_list = subscriptions.subscribe(actor=manager, report="tasks", frequency="daily", now=CREATED)
    users.update_user(actor=people["admin"], user_id=manager.id, changes={"role": Role.AGENT})
    assert subscriptions.run_due(now=utc(2026, 12, 2, 7, 0)) == 1  # the task list still comes
    session.refresh(analytics)
    session.refresh(task_list)
    assert analytics.status == "stopped" and analytics.stopped_reason == "its owner's role (Agent) may no longer read this report"
    assert task_list.status == "active" and len(_runs(task_list)) == 1


def test_who_may_subscribe_to_what(ctx, store, make_user):
    agent, viewer = make_user(Role.AGENT), make_user(Role.VIEWER)
    with pytest.raises(Forbidden):
        subscriptions.subscribe(actor=agent, report="sla", frequency="weekly")
    assert subscriptions.subscribe(actor=agent, report="tasks", frequency="weekly").hour == subscriptions.DEFAULT_HOUR
    for bad in ({"report": "nope", "frequency": "daily"}, {"report": "sla", "frequency": "monthly"},
                {"report": "sla", "frequency": "daily", "hour": 24}, {"report": "sla", "frequency": "weekly", "weekday": 7},
                {"report": "sla", "filters": {"table": "nope"}, "frequency": "daily"},
                {"report": "view:not-a-uuid", "frequency": "daily"}):
        with pytest.raises(ValidationFailed):
            subscriptions.subscribe(actor=viewer, **bad)
    assert subscriptions.subscribe(actor=viewer, report="sla", frequency="daily", weekday=3).weekday is None


def test_a_failed_run_is_listed_with_its_error_and_tried_again(ctx, store, make_user, app, monkeypatch):
    viewer = make_user(Role.VIEWER)
    daily = subscriptions.subscribe(actor=viewer, report="workload", frequency="daily", hour=5, now=CREATED)

    def refuse(*_args, **_kwargs):
        raise subscriptions.storage.StorageError("the store went away")

    monkeypatch.setattr(subscriptions.storage, "put", refuse)
    assert subscriptions.run_due(now=utc(2026, 12, 2, 5, 0)) == 0
    [run] = _runs(daily)
    assert (run.status, run.error, run.attempts) == ("failed", "the store went away", 1)
    assert _emails(viewer) == []
    monkeypatch.undo()
    assert subscriptions.run_due(now=utc(2026, 12, 2, 5, 5)) == 1
    session.refresh(run)
    assert (run.status, run.error, run.attempts) == ("done", None, 2)
    assert len(_emails(viewer)) == 1


def test_one_delivery_end_to_end_through_a_real_smtp_server(ctx, store, make_user, make_task, smtp_server, client, app):
    app.config["SMTP_URL"] = smtp_server.url
    manager = make_user(Role.MANAGER)
    make_task(manager, title="Ship the release")
    subscription = subscriptions.subscribe(actor=manager, report="tasks", filters={"sort": "title"}, frequency="weekly",
                                           weekday=1, hour=7, now=CREATED)
    assert subscriptions.run_due(now=utc(2026, 12, 8, 7, 0)) == 1
    dispatcher.drain()
    [received] = [r["message"] for r in smtp_server.messages if manager.email in r["to"]]
    assert received["Subject"] == "[Report] Task list: the week of 7 Dec 2026"
    [run] = _runs(subscription)
    expected = _stored(store, run)
    [attachment] = list(received.iter_attachments())
    assert attachment.get_content_type() == "text/csv" and attachment.get_payload(decode=True) == expected
    text = received.get_body(("plain",)).get_content()
    link = next(word for word in text.split() if "/api/subscriptions/files/" in word)
    # The e-mailed link leads to a fresh download link of the same file.
    followed = client.get(urlsplit(link).path)
    assert followed.status_code == 302 and followed.headers["Cache-Control"] == "no-store"
    downloaded = client.get(urlsplit(followed.headers["Location"]).path)
    assert downloaded.status_code == 200 and downloaded.get_data() == expected
    # A damaged link is refused; so is the link once the subscription is gone.
    assert client.get(urlsplit(link).path + "x").status_code == 403
    subscriptions.delete_subscription(actor=manager, subscription_id=subscription.id)
    assert client.get(urlsplit(link).path).status_code == 403
    assert not (store / run.storage_key).exists()


def test_without_smtp_the_file_goes_attached_through_ses(ctx, store, make_user, app, aws_endpoint):
    use_channels(app, aws_endpoint=aws_endpoint, smtp_url=None, MAIL_SES=True, MAIL_FROM="workflow@example.com",
                 LOCAL_STORAGE_DIR=str(store), S3_BUCKET=None)
    boto3.client("ses", endpoint_url=aws_endpoint, region_name="us-east-1").verify_email_identity(
        EmailAddress="workflow@example.com")
    viewer = make_user(Role.VIEWER)
    subscriptions.subscribe(actor=viewer, report="tasks", frequency="daily", hour=6, now=CREATED)
    assert subscriptions.run_due(now=utc(2026, 12, 2, 6, 0)) == 1
    assert len(dispatcher.drain().sent) == 1
    with urllib.request.urlopen(f"{aws_endpoint}/moto-api/data.json") as response:
        raw = [m for m in json.load(response)["ses"].get("RawMessage", []) if viewer.email in json.dumps(m)]
    assert len(raw) == 1 and "Content-Disposition: attachment" in json.dumps(raw[0])
