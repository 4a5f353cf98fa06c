"""Auto-assignment: each department's rule (off, round robin, least loaded), the pick that gives a new or
returned task to one of the department's Agents, and the rules' settings (Managers and Admins).

workflow/tasks.py calls `pick` inside the change's transaction and gives the task to the one picked through
its own assignment path (history row with the reason, notification), so an automatic assignment is recorded
and told exactly like a manual one.
"""
import uuid
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from db import session
from db.models import AssignmentRule, Task, User
from db.types import utcnow
from domain import assignment as policy
from domain import rules
from domain.errors import Conflict, Forbidden
from reports import workload
from workflow import audit


@dataclass(frozen=True)
class Pick:
    """Who a rule gave a task to, and why, in the words the history keeps ("round robin", "least loaded: …")."""

    user_id: uuid.UUID
    reason: str


@dataclass(frozen=True)
class AgentLoad:
    """One of a department's Agents as the rules see them: away or not, their open work, next in turn or not."""

    user_id: uuid.UUID
    username: str
    full_name: str
    away: bool
    away_until: datetime | None
    open: int
    weighted_load: int
    next_in_turn: bool


@dataclass(frozen=True)
class DepartmentRule:
    """A department's mode and, for the settings page, its Agents."""

    department: str
    mode: str
    updated_at: datetime | None
    agents: tuple[AgentLoad, ...] = ()


def _available(department: str, now: datetime) -> list:
    """SQL: the department's active Agents who are not away now (domain.assignment.is_candidate, in SQL)."""
    back = and_(User.away_until.is_not(None), User.away_until <= now)
    return [User.department == department, User.role == policy.CANDIDATE_ROLE, User.is_active.is_(True),
            or_(User.away.is_(False), back)]


def department_of(*, task: Task, holder: uuid.UUID | None = None, creator: User | None = None) -> str | None:
    """The department whose rule gives this task out.

    A task belongs to its assignee's department (the workload report, the department filter, the board's WIP
    limits); one that has none yet (new, or just returned to the queue) belongs to the department of whoever
    held it last, else of its creator.
    """
    for person in (holder, creator.id if creator is not None else task.created_by):
        if person is None:
            continue
        if creator is not None and creator.id == person:
            found = creator
        else:
            with session.no_autoflush:  # the change being made is flushed once, at its commit
                found = session.get(User, person)
        if found is not None and found.department:
            return found.department
    return None


def _in_turn(people: list, last: uuid.UUID | None) -> list:
    """The candidates (by username) in turn order: from the one after the last picked, wrapping round."""
    if last is None:
        return people
    ids = [person.id for person in people]
    if last in ids:
        start = ids.index(last) + 1
    else:
        # The last one picked is no candidate now (away, left, returned the task): go on from their place.
        name = session.scalar(select(User.username).where(User.id == last))
        start = bisect_right([person.username for person in people], name) if name is not None else 0
    return people[start:] + people[:start]


def pick(*, department: str | None, now: datetime, exclude: frozenset = frozenset()) -> Pick | None:
    """Whom the department's rule gives a task to now (None: the rule is off, or nobody is available).

    Call inside the change's transaction: the pick first bumps the rule's `turns`, which locks the rule's row
    until the change commits, so concurrent picks of one department take turns (PostgreSQL's row lock; SQLite
    has one writer) and see each other's results: round robin never gives the same slot twice, and least
    loaded counts the tasks just given. `exclude`: people who may not get it (who just returned it).
    """
    if not department:
        return None
    # No autoflush: the change being made is flushed once, at its commit (one version per change).
    with session.no_autoflush:
        turn = session.execute(
            update(AssignmentRule)
            .where(AssignmentRule.department == department, AssignmentRule.mode != policy.OFF)
            .values(turns=AssignmentRule.turns + 1)
            .returning(AssignmentRule.mode, AssignmentRule.last_assigned_to)
            .execution_options(synchronize_session=False)
        ).first()
        if turn is None:
            return None
        mode, last = turn
        people = [person for person in session.execute(
            select(User.id, User.username).where(*_available(department, now)).order_by(User.username, User.id))
            if person.id not in exclude]
        if not people:
            return None
        order = _in_turn(people, last)
        if mode == policy.ROUND_ROBIN:
            chosen, reason = order[0].id, policy.round_robin_reason()
        else:
            loads = workload.open_loads(user_ids=[person.id for person in people])
            # Least weighted load, then fewest open tasks, then whoever's turn comes first (the one given work
            # longest ago among them): deterministic, and fair between equals.
            def rank(entry) -> tuple:
                position, person = entry
                opened, load = loads.get(person.id, (0, 0))
                return load, opened, position

            chosen = min(enumerate(order), key=rank)[1].id
            opened, load = loads.get(chosen, (0, 0))
            reason = policy.least_loaded_reason(opened, load)
        session.execute(
            update(AssignmentRule).where(AssignmentRule.department == department).values(last_assigned_to=chosen)
            .execution_options(synchronize_session=False)
        )
    return Pick(chosen, reason)


# --- the rules' settings -------------------------------------------------------------------------------------


def _departments() -> list[str]:
    """The departments people work in and those with a rule, by name."""
    people = session.scalars(select(User.department).where(User.department.is_not(None), User.department != "").distinct())
    ruled = session.scalars(select(AssignmentRule.department))
    return sorted({*people, *ruled})


def _stored() -> dict[str, AssignmentRule]:
    return {row.department: row for row in session.scalars(select(AssignmentRule))}


def list_rules() -> list[DepartmentRule]:
    """Every department's mode ("off" where none is set), by department."""
    stored = _stored()
    return [DepartmentRule(name, stored[name].mode if name in stored else policy.OFF,
                           stored[name].updated_at if name in stored else None)
            for name in _departments()]


def overview(*, actor: User, now: datetime | None = None) -> list[DepartmentRule]:
    """Every department's mode with its Agents (active ones), who is away and their open work: the settings page."""
    if not rules.can_set_assignment_rules(actor):
        raise Forbidden("only managers and admins may see and set the assignment rules")
    now = now or utcnow()
    agents = list(session.scalars(
        select(User).where(User.role == policy.CANDIDATE_ROLE, User.is_active.is_(True), User.department.is_not(None))
        .order_by(User.username, User.id)))
    loads = workload.open_loads(user_ids=[agent.id for agent in agents])
    stored = _stored()
    views = []
    for rule in list_rules():
        mine = [agent for agent in agents if agent.department == rule.department]
        available = [agent for agent in mine if not policy.is_away(agent, now)]
        last = stored[rule.department].last_assigned_to if rule.department in stored else None
        following = _in_turn(available, last)[0].id if available and rule.mode == policy.ROUND_ROBIN else None
        views.append(DepartmentRule(rule.department, rule.mode, rule.updated_at, tuple(
            AgentLoad(agent.id, agent.username, agent.full_name, policy.is_away(agent, now), agent.away_until,
                      *loads.get(agent.id, (0, 0)), next_in_turn=agent.id == following)
            for agent in mine)))
    return views


def set_rules(*, actor: User, rules_by_department: dict) -> list[DepartmentRule]:
    """Set the mode of each department named (Managers and Admins); the others keep theirs. Returns every rule."""
    if not rules.can_set_assignment_rules(actor):
        raise Forbidden("only managers and admins may set the assignment rules")
    changes = policy.validate_rules(rules_by_department)
    now = utcnow()
    for department, mode in changes.items():
        row = session.get(AssignmentRule, department)
        before = row.mode if row is not None else policy.OFF
        if before == mode:
            continue
        if row is None:
            row = AssignmentRule(department=department, turns=0)
            session.add(row)
        row.mode, row.updated_at, row.updated_by = mode, now, actor.id
        audit.record(actor=actor, action="assignment.rules_changed", target_type="department",
                     target_id=department, before={"mode": before}, after={"mode": mode})
    try:
        session.commit()
    except IntegrityError:  # another supervisor set the same department's first rule at the same moment
        session.rollback()
        raise Conflict("the assignment rules were changed by someone else; reload them and try again") from None
    return list_rules()
