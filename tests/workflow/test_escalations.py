"""SLA escalations: a warning at the rule's share of the target and a breach notice past it, once per task and
SLA episode, to the right people on their channels; the sweep and a task's own change; the breach's actions."""
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from db import session
from db.models import (
    AuditEvent,
    Notification,
    NotificationType,
    OutboxMessage,
    Priority,
    Role,
    SlaEscalation,
    TaskHistory,
    TaskStatus,
)
from domain.errors import Forbidden, ValidationFailed
from domain.escalations import DEFAULT_RULE
from portal.components.history_text import escalation_words
from workflow import analytics, escalations, tasks
from workflow import webhooks as webhook_admin
from workflow import sla as sla_policy
from workflow.automation import AUTOMATION_ID

#: A Monday, 09:00 UTC: the default business-hours calendar opens then.
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


@pytest.fixture
def clock(monkeypatch):
    """The workflow's clock, moved by hand (`clock.now = at(...)`): the changes happen then."""

    class Clock:
        now = T0

    chosen = Clock()
    monkeypatch.setattr(tasks, "utcnow", lambda: chosen.now)
    monkeypatch.setattr(escalations, "utcnow", lambda: chosen.now)
    return chosen


@pytest.fixture
def team(app, ctx, make_user):
    """An agent and a manager of Support, a manager of Billing, an Admin; email on (messages wait in the outbox)."""
    app.config["SMTP_URL"] = "smtp://127.0.0.1:9"
    return {
        "agent": make_user(Role.AGENT, department="Support", full_name="Ada Agent"),
        "manager": make_user(Role.MANAGER, department="Support", full_name="Max Manager"),
        "billing": make_user(Role.MANAGER, department="Billing", full_name="Bea Billing"),
        "admin": make_user(Role.ADMIN, department="Support"),
    }


@pytest.fixture(params=["clock", "due"])
def path(request, ctx):
    """How the sweep finds the tasks: computing their clocks (the analytics are being recomputed), or off the
    kept due moments (the analytics are current): both must give the same escalations."""
    return request.param


def ready(path: str) -> None:
    """The `due` path: the analytics (and every task's due moment) derived again, as the duty does; the `clock`
    path: the analytics said to be stale, as a policy change does (a new database's are current)."""
    if path == "due":
        analytics.rebuild_on(session.connection())
    else:
        analytics.mark_stale("being recomputed")
    session.commit()


def notices(user, kind: NotificationType) -> list[str]:
    return list(session.scalars(select(Notification.content).where(
        Notification.user_id == user.id, Notification.type == kind).order_by(Notification.id)))


def emails(user) -> list[str]:
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == user.id,
                                                       OutboxMessage.channel == "email"))
    return sorted(row.payload["subject"] for row in rows if row.payload["subject"].startswith("[SLA"))


def escalation_entries(task) -> list[dict]:
    rows = session.scalars(select(TaskHistory).where(TaskHistory.task_id == task.id).order_by(
        TaskHistory.changed_at, TaskHistory.id))
    return [row.new_value for row in rows if "escalation" in (row.new_value or {})]


def test_a_task_crossing_75_and_100_percent_warns_once_and_breaches_once(team, clock, path):
    agent, manager, billing, admin = team["agent"], team["manager"], team["billing"], team["admin"]
    task = tasks.create_task(actor=manager, title="Printer on fire", assigned_to=agent.id)  # Medium: 72 h
    ready(path)

    assert escalations.sweep(now=at(53.5)) == 0  # 74 % used
    assert escalations.sweep(now=at(54.5)) == 1  # 75 %: the warning
    assert escalations.sweep(now=at(54.5)) == 0  # run twice: nothing new
    assert escalations.sweep(now=at(60)) == 0
    warning = "SLA warning: 'Printer on fire' has used 75 % of its 72 h target"
    assert notices(agent, NotificationType.SLA_WARNING) == [warning]
    assert notices(manager, NotificationType.SLA_WARNING) == []
    assert emails(agent) == ["[SLA Warning] Printer on fire"]

    assert escalations.sweep(now=at(71.9)) == 0
    assert escalations.sweep(now=at(72.5)) == 1  # past the target: the breach
    assert escalations.sweep(now=at(72.5)) == 0
    assert escalations.sweep(now=at(100)) == 0
    assert notices(agent, NotificationType.SLA_BREACH) == ["SLA breached: 'Printer on fire' is past its 72 h target"]
    assert notices(manager, NotificationType.SLA_BREACH) == [
        "SLA breached: 'Printer on fire' (assigned to Ada Agent) is past its 72 h target"]
    # Only the task's department's managers; an Admin is not a manager.
    assert notices(billing, NotificationType.SLA_BREACH) == notices(admin, NotificationType.SLA_BREACH) == []
    assert emails(manager) == ["[SLA Breach] Printer on fire"]
    assert emails(agent) == ["[SLA Breach] Printer on fire", "[SLA Warning] Printer on fire"]

    entries = escalation_entries(task)
    assert [escalation_words(entry) for entry in entries] == [
        "SLA warning: 75 % of the 72 h target used; notified the assignee",
        "SLA breached: the 72 h target passed; notified the assignee and 1 manager",
    ]
    assert session.scalar(select(TaskHistory.changed_by).where(TaskHistory.task_id == task.id)
                          .order_by(TaskHistory.changed_at.desc(), TaskHistory.id.desc()).limit(1)) == AUTOMATION_ID
    fired = session.execute(select(SlaEscalation.episode, SlaEscalation.step, SlaEscalation.notified)
                            .where(SlaEscalation.task_id == task.id).order_by(SlaEscalation.step)).all()
    assert [tuple(row) for row in fired] == [(1, "breach", 2), (1, "warning", 1)]


def test_a_business_hours_target_counts_working_time_only(team, clock, path):
    agent, manager, admin = team["agent"], team["manager"], team["admin"]
    # 16 working hours: Monday and Tuesday 09:00-17:00; 75 % is Tuesday 13:00.
    sla_policy.set_targets(actor=admin, targets={"Medium": {"minutes": 16 * 60, "business_hours": True}})
    task = tasks.create_task(actor=manager, title="Working hours", assigned_to=agent.id)
    ready(path)

    assert escalations.sweep(now=at(14)) == 0  # Monday 23:00: 8 h of 16 used (87 % of the wall clock)
    assert escalations.sweep(now=at(27.9)) == 0  # Tuesday 12:54
    assert escalations.sweep(now=at(28.5)) == 1  # Tuesday 13:30: 12.5 h
    assert notices(agent, NotificationType.SLA_WARNING) == [
        "SLA warning: 'Working hours' has used 75 % of its 16 h business-hours target"]
    # Tuesday 17:00 to Wednesday 09:00 the clock stands at the target: not past it until work resumes.
    assert escalations.sweep(now=at(32)) == 0
    assert escalations.sweep(now=at(40)) == 0
    assert escalations.sweep(now=at(48.5)) == 1  # Wednesday 09:30
    assert escalations.sweep(now=at(49)) == 0
    assert len(notices(agent, NotificationType.SLA_BREACH)) == len(notices(manager, NotificationType.SLA_BREACH)) == 1
    assert escalation_words(escalation_entries(task)[-1]) == (
        "SLA breached: the 16 h business-hours target passed; notified the assignee and 1 manager")


def test_a_reopen_starts_a_new_episode_and_is_escalated_at_once(team, clock, path):
    agent, manager = team["agent"], team["manager"]
    task = tasks.create_task(actor=manager, title="Comes back", assigned_to=agent.id)
    clock.now = at(1)
    tasks.change_status(actor=agent, task_id=task.id, status=TaskStatus.IN_PROGRESS)
    ready(path)
    assert escalations.sweep(now=at(73)) == 1  # the breach (its warning passed over: nobody swept at 75 %)
    assert notices(agent, NotificationType.SLA_WARNING) == []
    clock.now = at(74)
    tasks.change_status(actor=agent, task_id=task.id, status=TaskStatus.COMPLETED)
    # Reopened: the clock runs on from 73 h, past the target, in a new episode; told at once, no sweep.
    clock.now = at(80)
    tasks.change_status(actor=manager, task_id=task.id, status=TaskStatus.IN_PROGRESS)
    assert len(notices(agent, NotificationType.SLA_BREACH)) == 2
    assert len(notices(manager, NotificationType.SLA_BREACH)) == 2
    assert escalations.sweep(now=at(81)) == 0
    episodes = session.execute(select(SlaEscalation.episode, SlaEscalation.step).where(SlaEscalation.task_id == task.id)
                               .order_by(SlaEscalation.episode, SlaEscalation.step)).all()
    assert [tuple(row) for row in episodes] == [(1, "breach"), (1, "warning"), (4, "breach"), (4, "warning")]


def test_a_paused_or_completed_task_is_not_escalated(team, clock, path):
    agent, manager = team["agent"], team["manager"]
    held = tasks.create_task(actor=manager, title="Waiting for parts", assigned_to=agent.id)
    done = tasks.create_task(actor=manager, title="Done early", assigned_to=agent.id)
    clock.now = at(60)  # both past 75 %, and no sweep has run
    tasks.change_status(actor=agent, task_id=held.id, status=TaskStatus.ON_HOLD)
    tasks.change_status(actor=agent, task_id=done.id, status=TaskStatus.IN_PROGRESS)
    notices_before = notices(agent, NotificationType.SLA_WARNING)
    tasks.change_status(actor=agent, task_id=done.id, status=TaskStatus.COMPLETED)
    ready(path)
    assert escalations.sweep(now=at(61)) == 0
    assert escalations.sweep(now=at(500)) == 0
    # The completed one was warned when its clock ran (the change to In Progress at 60 h), and never after.
    assert notices_before == ["SLA warning: 'Done early' has used 75 % of its 72 h target"]
    assert notices(agent, NotificationType.SLA_BREACH) == []
    # Resumed: its clock runs again from 60 h, past 75 %: the warning at once.
    clock.now = at(600)
    tasks.change_status(actor=agent, task_id=held.id, status=TaskStatus.IN_PROGRESS)
    assert notices(agent, NotificationType.SLA_WARNING) == [
        "SLA warning: 'Done early' has used 75 % of its 72 h target",
        "SLA warning: 'Waiting for parts' has used 75 % of its 72 h target"]


def test_a_higher_priority_past_its_target_is_told_without_waiting_for_the_sweep(team, clock, path):
    agent, manager = team["agent"], team["manager"]
    task = tasks.create_task(actor=manager, title="Urgent after all", assigned_to=agent.id, priority=Priority.LOW)
    ready(path)
    clock.now = at(5)
    tasks.update_task(actor=manager, task_id=task.id, changes={"priority": Priority.CRITICAL})  # 4 h target
    assert notices(agent, NotificationType.SLA_BREACH) == ["SLA breached: 'Urgent after all' is past its 4 h target"]
    assert notices(agent, NotificationType.SLA_WARNING) == []
    assert escalations.sweep(now=at(5)) == 0


def test_raise_priority_and_return_to_queue_act_once_and_are_in_the_history(team, clock, path):
    agent, manager, admin = team["agent"], team["manager"], team["admin"]
    escalations.set_rules(actor=admin, changes={"Medium": {"raise_priority": True, "return_to_queue": True}})
    task = tasks.create_task(actor=manager, title="Escalate me", assigned_to=agent.id)
    ready(path)
    assert escalations.sweep(now=at(73)) == 1
    session.expire_all()
    task = tasks.get_task(task_id=task.id)
    assert (task.priority, task.assigned_to) == (Priority.HIGH, None)
    assert escalation_words(escalation_entries(task)[-1]) == (
        "SLA breached: the 72 h target passed; notified the assignee and 1 manager; priority raised to High; "
        "returned to the queue")
    changes = session.execute(select(TaskHistory.change_type, TaskHistory.old_value, TaskHistory.new_value)
                              .where(TaskHistory.task_id == task.id, TaskHistory.changed_by == AUTOMATION_ID)
                              .order_by(TaskHistory.id)).all()
    assert [(row.change_type.value, row.old_value, row.new_value) for row in changes][1:] == [
        ("Edit", {"priority": "Medium"}, {"priority": "High"}),
        ("Assignment", {"assigned_to": str(agent.id)}, {"assigned_to": None}),
    ]
    # Now High (24 h), long past: the same episode, so nothing more.
    assert escalations.sweep(now=at(74)) == 0
    assert escalations.sweep(now=at(200)) == 0
    assert session.get(type(task), task.id).priority == Priority.HIGH


def test_the_rules_are_the_supervisors_validated_and_audited(team):
    admin, agent = team["admin"], team["agent"]
    assert escalations.get_rules() == dict.fromkeys(Priority, DEFAULT_RULE)
    with pytest.raises(Forbidden):
        escalations.set_rules(actor=agent, changes={"High": {"warning_percent": 50}})
    for bad, field in [({"High": {"warning_percent": 0}}, "High.warning_percent"),
                       ({"High": {"warning_percent": 100}}, "High.warning_percent"),
                       ({"High": {"warning_percent": True}}, "High.warning_percent"),
                       ({"High": {"raise_priority": "yes"}}, "High.raise_priority"),
                       ({"High": {"colour": "red"}}, "High.colour"),
                       ({"Urgent": {}}, "Urgent")]:
        with pytest.raises(ValidationFailed) as refused:
            escalations.set_rules(actor=admin, changes=bad)
        assert [problem["field"] for problem in refused.value.details] == [field]
    rules = escalations.set_rules(actor=admin, changes={"High": {"warning_percent": 50, "breach_enabled": False}})
    assert (rules[Priority.HIGH].warning_percent, rules[Priority.HIGH].breach_enabled) == (50, False)
    assert rules[Priority.LOW] == DEFAULT_RULE
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "sla.escalation_rules_changed")).one()
    assert event.before == {"High": {**DEFAULT_RULE.__dict__}}
    assert event.after == {"High": {**DEFAULT_RULE.__dict__, "warning_percent": 50, "breach_enabled": False}}


def test_a_step_is_claimed_once_whoever_fires_it(team, clock):
    agent, manager = team["agent"], team["manager"]
    task = tasks.create_task(actor=manager, title="Raced", assigned_to=agent.id)
    judge = escalations._Policy.now()
    # Two sweeps that read the same candidate: the first tells, the second finds the step taken.
    assert escalations._fire(task.id, 1, "warning", at(60), judge) is True
    assert escalations._fire(task.id, 1, "warning", at(60), judge) is False
    assert len(notices(agent, NotificationType.SLA_WARNING)) == 1


def test_each_step_is_a_signed_webhook_event_too(app, team, clock):
    app.config["WEBHOOK_ALLOW_PRIVATE_NETWORKS"] = True
    agent, manager, admin = team["agent"], team["manager"], team["admin"]
    webhook_admin.create_webhook(actor=admin, url="http://127.0.0.1:9/hooks", events=["sla.warning", "sla.breached"])
    task = tasks.create_task(actor=manager, title="Watched from outside", assigned_to=agent.id)
    assert escalations.sweep(now=at(55)) == 1
    assert escalations.sweep(now=at(73)) == 1
    bodies = [json.loads(row.payload["body"]) for row in session.scalars(
        select(OutboxMessage).where(OutboxMessage.channel == "webhook").order_by(OutboxMessage.created_at))]
    assert [body["event"] for body in bodies] == ["sla.warning", "sla.breached"]
    warning, breach = (body["data"] for body in bodies)
    assert warning["id"] == breach["id"] == str(task.id)
    assert (warning["sla"]["percent"], warning["sla"]["target_minutes"], warning["sla"]["episode"]) == (75, 4320, 1)
    assert (breach["sla"]["assignee_notified"], breach["sla"]["managers_notified"]) == (True, 1)
