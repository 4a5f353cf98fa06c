"""SLA escalations: an open task whose SLA clock reaches its priority's warning share tells its assignee; one
past its target tells the assignee and the managers of its department, and may raise its priority or return
it to the queue. Each step fires once per task and SLA episode (a reopen or a restore begins a new one).

Two ways in, one rule: the scheduled sweep (`sweep`) finds the tasks that crossed a threshold since its last
run off the kept due moments (tasks.sla_due_s, an index range: no clock is computed for the others), and a
task's own change (`check_task`, called by workflow/tasks.py after it commits) looks at that task's due moment
at once (its clock, computed, while the facts are being rebuilt). The clock is the SLA report's
(reports/sla.py): paused On Hold, stopped at Completed, business hours where the priority counts them. A fired step is a row of sla_escalations whose key (task, episode, step)
decides, race-free, who tells: a second sweep, a retry or a concurrent change inserts nothing and tells nobody.
"""
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.exc import StaleDataError

from db import session
from db.models import (
    ChangeType,
    Priority,
    SlaEscalation,
    SlaEscalationRule,
    SlaEscalationState,
    Task,
    TaskStatus,
    TaskStatusInterval,
    User,
)
from db.status_intervals import CLOCK_STATUSES
from db.types import utcnow
from domain import calendar as work_calendar
from domain import escalations as policy_rules
from domain import rules
from domain.errors import Forbidden
from domain.escalations import BREACH, WARNING, EscalationRule
from domain.filters import TaskFilters
from notifications import events, webhooks
from reports import facts, policy
from reports import sla as sla_report
from workflow import analytics, assignment, audit, history
from workflow.automation import automation_user

log = logging.getLogger(__name__)

#: The tasks one sweep escalates at most per step and priority; the rest are the next run's.
BATCH = 500
#: How far before its last run a sweep looks again: a change that committed while the last run read (its
#: due moment invisible to it) is not missed. The fired steps' key makes looking twice harmless.
OVERLAP = timedelta(minutes=10)
#: How far back a sweep looks when it has no last run to go on (the first run, after a change of the rules or of
#: the SLA policy): thresholds crossed earlier are not told after the fact (a task's own change still is).
CATCH_UP = timedelta(days=1)
STATE_ID = 1


# --- the rules -----------------------------------------------------------------------------------------------


def get_rules() -> dict[Priority, EscalationRule]:
    """Every priority's escalation rule: the stored one, else the default."""
    stored = {row.priority: row for row in session.scalars(select(SlaEscalationRule))}
    return {
        priority: EscalationRule(**{name: getattr(stored[priority], name) for name in policy_rules.FIELDS})
        if priority in stored else policy_rules.DEFAULT_RULE
        for priority in Priority
    }


def set_rules(*, actor: User, changes: dict) -> dict[Priority, EscalationRule]:
    """Change the escalation rules of the priorities given (Managers and Admins; partial); returns every rule."""
    if not rules.can_set_escalation_rules(actor):
        raise Forbidden("only managers and admins may change the SLA escalations")
    before = get_rules()
    after = policy_rules.validate_rules(changes, before)
    now = utcnow()
    for priority, rule in after.items():
        row = session.get(SlaEscalationRule, priority)
        if row is None:
            if rule == before[priority]:
                continue  # still the default: no row needed
            row = SlaEscalationRule(priority=priority)
            session.add(row)
        for name in policy_rules.FIELDS:
            setattr(row, name, getattr(rule, name))
        row.updated_at, row.updated_by = now, actor.id
    # New thresholds: the next sweep looks back CATCH_UP from now, not from its last run.
    _state().swept_at = None
    old, new = audit.changed(policy_rules.rules_json(before), policy_rules.rules_json(after))
    audit.record(actor=actor, action="sla.escalation_rules_changed", target_type="sla", target_id="escalations",
                 before=old, after=new)
    session.commit()
    return get_rules()


def _state() -> SlaEscalationState:
    state = session.get(SlaEscalationState, STATE_ID)
    if state is None:
        state = SlaEscalationState(id=STATE_ID)
        session.add(state)
    return state


# --- when -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Policy:
    """What a sweep or a check judges by: the rules, the targets and clocks, and the calendar."""

    rules: dict[Priority, EscalationRule]
    minutes: dict[Priority, int]
    business: dict[Priority, bool]
    calendar: work_calendar.WorkCalendar | None

    @classmethod
    def now(cls) -> "_Policy":
        minutes, business = policy.get_policy()
        return cls(get_rules(), minutes, business, policy.get_calendar() if any(business.values()) else None)

    def steps(self, priority: Priority) -> list[tuple[str, float]]:
        """(step, share of the target) this priority escalates at."""
        rule = self.rules[priority]
        found = [(WARNING, rule.warning_percent / 100)] if rule.warning_enabled else []
        if rule.breach_enabled or rule.raise_priority or rule.return_to_queue:
            found.append((BREACH, 1.0))
        return found

    def threshold(self, priority: Priority, share: float, now: datetime) -> float:
        """The due moment (epoch seconds) up to which an open task of `priority` has used `share` of its target
        at `now`: a running clock's due moment is when it reaches the target, so the share is reached
        (1 - share) x target before it, on the clock's own time line."""
        left = (1.0 - share) * self.minutes[priority] * 60
        if not self.business[priority]:
            return now.timestamp() + left
        coordinate = work_calendar.working_coordinate(self.calendar, now) + left
        return work_calendar.moment_at(self.calendar, coordinate).timestamp()


def _episode(task_id):
    """SQL: the task's SLA episode, the step of the status interval that began it (1: its creation; a later
    one: its last reopen or restore, which start the clock's targets anew for escalation)."""
    interval = TaskStatusInterval
    return (
        select(func.coalesce(func.max(interval.step), 1))
        .where(interval.task_id == task_id, interval.from_status.in_((TaskStatus.COMPLETED, TaskStatus.CANCELLED)))
        # Correlated to the task however deep it is nested (it is inside `_unfired` too).
        .correlate_except(interval)
        .scalar_subquery()
    )


def _unfired(task_id, step: str):
    """SQL: the step has not fired for the task in its current episode (the fired steps' key, looked up)."""
    fired = (
        select(SlaEscalation.task_id)
        .where(SlaEscalation.task_id == task_id, SlaEscalation.step == step, SlaEscalation.episode == _episode(task_id))
        .correlate_except(SlaEscalation)
    )
    return ~fired.exists()


def _crossed(step: str, due, threshold):
    """Whether a due moment (a number, or SQL) has crossed the step's threshold (the same, from `threshold`)."""
    # Past the target means past it: a clock exactly at its target (a business-hours clock stopped at closing
    # time) is not breached until it runs again, as in the SLA report. A warning share is reached at it.
    return due < threshold if step == BREACH else due <= threshold


def _due_task(judge: _Policy, now: datetime, task_id: uuid.UUID) -> dict:
    """{task id: (episode, step)} of one task if its kept due moment has crossed an unfired step's threshold:
    one row read, and nothing more when no threshold is crossed (most changes)."""
    task = session.execute(select(Task.priority, Task.status, Task.sla_due_s)
                           .where(Task.id == task_id, Task.deleted_at.is_(None))).one_or_none()
    if task is None or task.sla_due_s is None or task.status not in CLOCK_STATUSES:
        return {}
    crossed = [step for step, share in judge.steps(task.priority)
               if _crossed(step, task.sla_due_s, judge.threshold(task.priority, share, now))]
    if not crossed:
        return {}
    row = session.execute(select(_episode(Task.id), *(_unfired(Task.id, step) for step in crossed))
                          .where(Task.id == task_id)).one()
    found: dict[uuid.UUID, tuple[int, str]] = {}
    for step, unfired in zip(crossed, row[1:]):
        if unfired:
            _merge(found, task_id, row[0], step)
    return found


def _due_candidates(judge: _Policy, now: datetime, since: datetime) -> tuple[dict, bool]:
    """{task id: (episode, step)} of the running tasks whose due moment crossed a threshold after `since`,
    read off the due moments' index; and whether a batch was cut short."""
    found: dict[uuid.UUID, tuple[int, str]] = {}
    full = False
    for priority in Priority:
        for step, share in judge.steps(priority):
            upper = judge.threshold(priority, share, now)
            # The lower bound is the upper one of a run at `since`, the other way round: nothing falls between.
            lower = judge.threshold(priority, share, since)
            conditions = [~_crossed(step, Task.sla_due_s, lower), _crossed(step, Task.sla_due_s, upper)]
            statement = (
                select(Task.id, _episode(Task.id))
                .where(Task.sla_due_s.is_not(None), Task.deleted_at.is_(None), *conditions,
                       Task.priority == priority, Task.status.in_(CLOCK_STATUSES), _unfired(Task.id, step))
                .order_by(Task.sla_due_s, Task.id)
                .limit(BATCH)
            )
            rows = session.execute(statement).all()
            full = full or len(rows) == BATCH
            for task_id, episode in rows:
                _merge(found, task_id, episode, step)
    return found, full


def _clock_candidates(judge: _Policy, now: datetime, *, task_id: uuid.UUID | None = None,
                     window: timedelta | None = None) -> dict:
    """{task id: (episode, step)} of the running tasks whose clock at `now` is past a threshold (by less than
    `window` of clock time, if given), computed: the due moments are being recomputed after a policy change,
    or one task was just changed."""
    outcomes = sla_report.task_outcomes(TaskFilters(), judge.minutes, now)
    found: dict[uuid.UUID, tuple[int, str]] = {}
    for step in (WARNING, BREACH):
        shares = {priority: share for priority in Priority for name, share in judge.steps(priority) if name == step}
        if not shares:
            continue
        share = case({priority: value for priority, value in shares.items()}, value=outcomes.c.priority)
        line = outcomes.c.target_s if step == BREACH else share * outcomes.c.target_s
        reached = [outcomes.c.clock_s > line if step == BREACH else outcomes.c.clock_s >= line]
        if window is not None:
            reached.append(outcomes.c.clock_s < line + window.total_seconds())
        statement = (
            select(outcomes.c.task_id, _episode(outcomes.c.task_id))
            .where(outcomes.c.priority.in_(list(shares)), outcomes.c.status.in_([s.value for s in CLOCK_STATUSES]),
                   *reached, _unfired(outcomes.c.task_id, step),
                   *([outcomes.c.task_id == task_id] if task_id is not None else []))
            .limit(BATCH)
        )
        for found_id, episode in session.execute(statement).all():
            _merge(found, found_id, episode, step)
    return found


def _merge(found: dict, task_id: uuid.UUID, episode: int, step: str) -> None:
    # A task past both thresholds breaches; its warning is passed over (recorded, not told).
    if found.get(task_id, (None, None))[1] != BREACH:
        found[task_id] = (episode, step)


# --- the sweep and the change path ------------------------------------------------------------------------------


def sweep(*, now: datetime | None = None) -> int:
    """The scheduled duty: escalate every running task that crossed a threshold since the last run; returns
    how many steps fired. Safe to run twice at once: each step fires once."""
    now = now or utcnow()
    judge = _Policy.now()
    fact_state = facts.state()
    state = _state()
    if fact_state is not None and fact_state.ready:
        if state.swept_at is not None and state.facts_changed_at == fact_state.changed_at:
            since = state.swept_at - OVERLAP
        else:  # the first run, or the thresholds or due moments moved since the last one
            since = now - CATCH_UP
        found, cut_short = _due_candidates(judge, now, since)
    else:
        found, cut_short = _clock_candidates(judge, now, window=CATCH_UP), True
    ready_at = fact_state.changed_at if fact_state is not None else None
    session.commit()
    fired = sum(_fire(task_id, episode, step, now, judge) for task_id, (episode, step) in found.items())
    if not cut_short:
        state = _state()
        state.swept_at, state.facts_changed_at = now, ready_at
        session.commit()
    if fired:
        log.info("SLA escalations: %d steps fired", fired)
    return fired


def check_task(*, task_id: uuid.UUID, now: datetime | None = None) -> list[str]:
    """After a change of the task (committed): escalate it at once if the change took its clock past a
    threshold (a higher priority, a lower target, a reopen). Returns the steps that fired."""
    now = now or utcnow()
    judge = _Policy.now()
    # The kept due moment says it when it is current; while the facts are rebuilt, the clock is computed.
    found = _due_task(judge, now, task_id) if facts.ready() else _clock_candidates(judge, now, task_id=task_id)
    session.commit()
    return [step for found_id, (episode, step) in found.items() if _fire(found_id, episode, step, now, judge)]


def _claim(task_id: uuid.UUID, episode: int, step: str, now: datetime) -> bool:
    """Insert the step's row unless it is there: True if this caller fired it (the key decides)."""
    dialect = session.get_bind().dialect.name
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert if dialect == "sqlite" else insert
    statement = make(SlaEscalation).values(task_id=task_id, episode=episode, step=step, fired_at=now, notified=0)
    if hasattr(statement, "on_conflict_do_nothing"):
        statement = statement.on_conflict_do_nothing()
    return session.execute(statement).rowcount == 1


def _fire(task_id: uuid.UUID, episode: int, step: str, now: datetime, judge: _Policy) -> bool:
    """Fire one step of one task in its own transaction: its row, notices, history and actions; False if
    someone else fired it first (or the task changed under it: the next run looks again)."""
    try:
        if not _claim(task_id, episode, step, now):
            session.rollback()
            return False
        if step == BREACH:
            _claim(task_id, episode, WARNING, now)  # passed over: the breach says more
        # As it is now (this session may have held it since before), and still running.
        task = session.get(Task, task_id, populate_existing=True)
        if task is None or task.deleted_at is not None or task.status not in CLOCK_STATUSES:
            session.rollback()
            return False
        _escalate(task, episode, step, now, judge)
        session.commit()
        return True
    except StaleDataError:
        session.rollback()
        log.info("task %s changed while it was escalated; the next run looks again", task_id)
        return False
    except Exception:
        # One task's failure must not hold up the others' escalations: its step is not recorded, so the next
        # run tries it again.
        session.rollback()
        log.exception("escalating task %s (%s) failed", task_id, step)
        return False


def _escalate(task: Task, episode: int, step: str, now: datetime, judge: _Policy) -> None:
    rule = judge.rules[task.priority]
    minutes, business = judge.minutes[task.priority], judge.business[task.priority]
    robot = automation_user()
    value = {"escalation": f"sla_{step}", "target_minutes": minutes, "business_hours": business}
    if step == WARNING:
        deliveries = events.sla_warning(task=task, percent=rule.warning_percent, target_minutes=minutes,
                                        business_hours=business, at=now)
        value.update(percent=rule.warning_percent, assignee_notified=bool(deliveries))
    else:
        managers = events.department_managers(task) if rule.breach_enabled else []
        deliveries = events.sla_breached(task=task, managers=managers, target_minutes=minutes,
                                         business_hours=business, at=now) if rule.breach_enabled else []
        told = {delivery.user_id for delivery in deliveries}
        value.update(percent=100, assignee_notified=task.assigned_to in told,
                     managers_notified=len(told - {task.assigned_to}))
    entry = history.record(task, robot, ChangeType.EDIT, {"escalation": None}, value, now)
    session.execute(update(SlaEscalation).where(SlaEscalation.task_id == task.id, SlaEscalation.episode == episode,
                                                SlaEscalation.step == step).values(notified=len(deliveries)))
    sla_data = {k: v for k, v in value.items() if k != "escalation"}
    if step == BREACH and (rule.raise_priority or rule.return_to_queue):
        actions = _act(task, rule, robot, now)
        entry.new_value = {**value, **actions}
        sla_data.update(actions)
    session.flush()
    webhooks.emit(event="sla.warning" if step == WARNING else "sla.breached",
                  data={**webhooks.task_data(task), "sla": {"episode": episode, **sla_data}}, at=now)


def _act(task: Task, rule: EscalationRule, robot: User, now: datetime) -> dict:
    """The breach's actions on the task, each with its own history row: raise the priority one step, return
    the task to its department's queue (whose rule may give it out again at once). Returns what was done."""
    done: dict = {}
    facts_before = analytics.before_change([task.id])
    higher = policy_rules.raised(task.priority) if rule.raise_priority else None
    if higher is not None:
        old = task.priority
        task.priority = higher
        history.record(task, robot, ChangeType.EDIT, {"priority": old.value}, {"priority": higher.value}, now)
        done["raised_priority"] = higher.value
    holder = task.assigned_to
    if rule.return_to_queue and holder is not None:
        task.assigned_to = None
        history.record(task, robot, ChangeType.ASSIGNMENT, {"assigned_to": str(holder)}, {"assigned_to": None}, now)
        done["returned_to_queue"] = True
        chosen = assignment.pick(department=assignment.department_of(task=task, holder=holder), now=now,
                                 exclude=frozenset({holder}))
        if chosen is not None:
            task.assigned_to = chosen.user_id
            history.record(task, robot, ChangeType.ASSIGNMENT, {"assigned_to": None},
                           {"assigned_to": str(chosen.user_id), "reason": chosen.reason}, now)
            events.task_assigned(actor=robot, task=task, at=now, reason=chosen.reason)
            done["reassigned_to"] = str(chosen.user_id)
    if done:
        task.updated_at = now
        analytics.keep([task.id], facts_before)
        if "returned_to_queue" in done:
            webhooks.emit(event="task.assigned", data={**webhooks.task_data(task), "previous": {"assigned_to": holder}},
                          at=now)
    return done
