"""Demo data: users, cases and tasks with lifelike histories, written in bulk without the ORM.

Each task is simulated move by move through domain.rules.TRANSITIONS, and every change
leaves the TaskHistory row the workflow layer would write for it. Rows are plain tuples:
PostgreSQL takes them by COPY, SQLite by Core executemany, in one transaction either way.
"""
import bisect
import collections
import contextlib
import csv
import functools
import io
import itertools
import json
import logging
import multiprocessing
import os
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import ARRAY, JSON, Connection, Engine, Table, insert, select, update
from sqlalchemy.dialects import postgresql

import db
from auth.passwords import hash_password
from db.counters import recount_task_statuses
from db.models import (
    Base,
    CaseStatus,
    ChangeType,
    Notification,
    NotificationType,
    Priority,
    Role,
    SlaCalendarSpan,
    TaskStatus,
    User,
)
from db.status_intervals import CLOCK_STATUSES, clock_part, span_coordinates
from db.types import uuid7
from domain import rules
from workflow import analytics, history

logger = logging.getLogger(__name__)

S = TaskStatus
HOUR = 3600.0
DAY = 24 * HOUR

DEFAULT_TASKS = 2_000
DEFAULT_SEED = 42
DEFAULT_AGENTS = 20
DEMO_PASSWORD = "demo-password"
#: Days of history by default: the tasks arrive over this many days up to now.
WINDOW_DAYS = 90
TASKS_PER_CASE = 20
#: Tasks simulated and written per round: bounds memory whatever --tasks says.
CHUNK_TASKS = 20_000

TABLES = {table.name: table for table in Base.metadata.sorted_tables}

#: The columns each generated row fills, in row order.
COLUMNS = {
    "users": ("id", "username", "email", "full_name", "role", "department", "phone",
              "is_active", "password_hash", "created_at", "last_login"),
    "cases": ("id", "reference", "title", "description", "status", "created_by", "created_at", "updated_at"),
    "tasks": ("id", "title", "description", "status", "priority", "due_date", "assigned_to",
              "created_by", "created_at", "updated_at", "case_id", "tags", "version",
              "status_since", "first_started_at", "sla_clock_s", "status_since_w", "sla_work_clock_s"),
    "task_history": ("id", "task_id", "changed_by", "change_type", "old_value", "new_value", "changed_at"),
    "task_status_intervals": ("task_id", "step", "status", "from_status", "started_at", "ended_at",
                              "from_started_at", "clock_before_s", "started_w", "ended_w", "work_clock_before_s"),
    "task_comments": ("id", "task_id", "author_id", "body", "created_at"),
    "task_watchers": ("task_id", "user_id", "created_at"),
    "notifications": ("id", "user_id", "content", "type", "read", "created_at", "related_task_id"),
}

# --- the cast -----------------------------------------------------------------------------

#: username, full name, role, department, phone
DEMO_USERS = (
    ("admin", "Morgan Reyes", Role.ADMIN, "Operations", "+447700900001"),
    ("manager", "Priya Shah", Role.MANAGER, "Support", "+447700900002"),
    ("agent", "Sam Carter", Role.AGENT, "Support", None),
    ("viewer", "Jordan Lee", Role.VIEWER, "Billing", None),
)
#: The other departments' managers (the demo `manager` runs Support).
OTHER_MANAGERS = (("Elena Novak", "Billing"), ("Tom Becker", "Operations"))
DEPARTMENTS = ("Support", "Billing", "Operations")
#: Share of the incoming work per department.
DEPARTMENT_ODDS = (45, 30, 25)
#: The demo `agent` carries more work than most, so their own views look busy.
DEMO_AGENT_LOAD = 3.0
#: The newest notifications of these users stay unread, so the bell shows something.
UNREAD_FOR = ("agent", "manager")
UNREAD_LATEST = 5

FIRST_NAMES = (
    "Aisha", "Ben", "Carla", "Dmitri", "Emma", "Farid", "Grace", "Hiro", "Ines", "Jonas",
    "Kemi", "Liam", "Maya", "Nikhil", "Olga", "Pablo", "Rosa", "Stefan", "Tara", "Umar",
    "Vera", "Wei", "Yara", "Zoe", "Lucas", "Mia", "Noah", "Leila", "Oscar", "Chloe",
)
LAST_NAMES = (
    "Adams", "Baker", "Chen", "Dubois", "Evans", "Fischer", "Garcia", "Hughes", "Ivanova",
    "Jensen", "Khan", "Lopez", "Moreau", "Nakamura", "Okafor", "Petrov", "Rossi", "Silva",
    "Thompson", "Vargas", "Walsh", "Xu", "Young", "Zimmermann", "Berg", "Costa", "Patel",
)

# --- the work -----------------------------------------------------------------------------

#: Resolution targets per priority (DESIGN.md's defaults); due dates start from these.
SLA_HOURS = {Priority.CRITICAL: 4, Priority.HIGH: 24, Priority.MEDIUM: 72, Priority.LOW: 168}
PRIORITY_ODDS = {Priority.LOW: 25, Priority.MEDIUM: 47, Priority.HIGH: 22, Priority.CRITICAL: 6}
#: Share of Low tasks nobody gives a due date.
UNDATED_LOW_ODDS = 0.2

#: Relative odds of the next move from each status; None: the task stays there for good.
MOVE_ODDS = {
    S.NEW: {S.IN_PROGRESS: 91, S.ON_HOLD: 5, S.CANCELLED: 4},
    S.IN_PROGRESS: {S.COMPLETED: 64, S.ON_HOLD: 33, S.CANCELLED: 3},
    S.ON_HOLD: {S.IN_PROGRESS: 92, S.CANCELLED: 8},
    S.COMPLETED: {None: 95, S.IN_PROGRESS: 5},
    S.CANCELLED: {None: 97, S.NEW: 3},
}
#: Typical length of a working phase, as a share of the priority's SLA target.
WORK_SHARE = {
    (S.NEW, S.IN_PROGRESS): 0.05,
    (S.NEW, S.ON_HOLD): 0.15,
    (S.NEW, S.CANCELLED): 0.3,
    (S.IN_PROGRESS, S.COMPLETED): 0.2,
    (S.IN_PROGRESS, S.ON_HOLD): 0.12,
    (S.IN_PROGRESS, S.CANCELLED): 0.3,
}
#: Typical wait on someone else (the requester, a manager) in hours, whatever the priority.
WAIT_HOURS = {
    (S.ON_HOLD, S.IN_PROGRESS): 36,
    (S.ON_HOLD, S.CANCELLED): 120,
    (S.COMPLETED, S.IN_PROGRESS): 40,
    (S.CANCELLED, S.NEW): 24,
}
#: Typical time an unassigned task waits in the queue, as a share of its SLA target.
PICKUP_SHARE = 0.1
#: How much tasks differ in pace (a lognormal sigma), and each phase from the task's pace.
PACE_SPREAD = 0.45
PHASE_SPREAD = 0.5
#: A few tasks stall (lost requester, blocked vendor): they run slow and mostly breach, but they finish.
STALL_ODDS = 0.06
STALL_FACTOR = (2.0, 4.0)
#: Overdue work is chased: a phase in which the SLA clock passes the target, or that starts past it,
#: ends within this share of the target after that (a Critical task within two hours, a Low one within
#: three days), and a task past its target is not put On Hold again. So old work gets done: open tasks
#: run late by days, not months.
CHASE_SHARE = (0.1, 0.4)
MIN_GAP = 60.0

#: Odds of one side change (not a status move) during a phase, tried in this order.
REASSIGN_ODDS = 0.08
ESCALATE_ODDS = 0.05  # at triage only (New, never moved): raised later, a task breaches the new target at once
EXTEND_DUE_ODDS = 0.3  # during On Hold only: the requester is slow, the due date moves

CASE_ACTIVE_DAYS = 21
IN_CASE_ODDS = 0.7
CLOSED_CASE_ODDS = 0.7
COMMENT_ODDS = 0.35
CREATOR_WATCHES_ODDS = 0.5
#: Notifications older than this are mostly read.
FRESH_NOTIFICATION = 2 * DAY

#: Per department: (title template, tags); placeholders are filled by _Placeholders.
TOPICS = {
    "Support": (
        ("Cannot log in to the customer portal", ("login", "customer")),
        ("Password reset for {person}", ("login",)),
        ("Error 500 when uploading {document}", ("bug",)),
        ("Mobile app crashes on start on {device}", ("bug", "mobile")),
        ("CSV export times out for {company}", ("bug", "customer")),
        ("Two-factor codes not arriving for {person}", ("login",)),
        ("{company} asks how to merge duplicate accounts", ("question", "customer")),
        ("Broken link in the welcome email", ("bug", "documentation")),
        ("{company} reports slow search results", ("performance", "customer")),
    ),
    "Billing": (
        ("Refund request for order #{order}", ("billing", "refund")),
        ("Invoice {invoice} shows the wrong VAT rate", ("billing", "invoice")),
        ("Duplicate charge on card ending {card}", ("billing", "refund")),
        ("Update billing address for {company}", ("billing",)),
        ("Payment failed for subscription {subscription}", ("billing", "payment")),
        ("Credit note for {company} on invoice {invoice}", ("billing", "invoice")),
        ("Move {company} to annual billing", ("billing", "contract")),
        ("Dispute over invoice {invoice}", ("billing", "invoice")),
    ),
    "Operations": (
        ("VPN access for new starter {person}", ("access", "onboarding")),
        ("Laptop replacement for {person}", ("hardware",)),
        ("Accounts for new starter {person}", ("access", "onboarding")),
        ("Renew TLS certificate for {host}", ("infrastructure",)),
        ("Disk space alert on {host}", ("infrastructure", "monitoring")),
        ("Revoke access for leaver {person}", ("access", "offboarding")),
        ("Printer on floor {floor} out of toner", ("hardware", "office")),
        ("Badge access for {person}", ("access", "office")),
        ("Restore a deleted folder on {host}", ("infrastructure", "backup")),
    ),
}
EXTRA_TAGS = ("vip", "follow-up", "customer", "internal")
EXTRA_TAG_ODDS = 0.25

OPENINGS = (
    "Reported by {person} via {channel}.",
    "Raised by {company} through the portal.",
    "{person} called the service desk about this.",
    "Came in by email from {company}.",
)
DETAILS = {
    "Support": (
        "It started after the last release.",
        "Steps to reproduce are in the attached screenshot.",
        "Happens in every browser they tried.",
        "Several users at {company} are affected.",
    ),
    "Billing": (
        "The amount does not match the signed quote.",
        "Finance needs this settled before month-end.",
        "The customer has paid on time for two years.",
        "The card issuer already raised a chargeback.",
    ),
    "Operations": (
        "Start date is next Monday.",
        "The line manager has approved the request.",
        "Monitoring flagged it overnight.",
        "Affects the whole team on floor {floor}.",
    ),
}
CLOSINGS = (
    "Please keep the requester updated.",
    "The account is on the {plan} plan.",
    "Nothing urgent, but it blocks their month-end.",
    "",
)
CASE_TITLES = {
    "Support": (
        "{company}: recurring login problems", "{company}: data import project", "{company}: onboarding support",
    ),
    "Billing": (
        "{company}: billing dispute", "{company}: move to annual plan", "Quarter-end invoicing run for {company}",
    ),
    "Operations": ("Onboarding batch for {company} team", "Office move for floor {floor}", "Migration of {host}"),
}
COMMENTS = (
    "Called the requester, waiting for a reply.",
    "Reproduced it; looking into the cause.",
    "Asked {person} for the missing details.",
    "Attached the logs from {host}.",
    "Customer confirmed the fix works.",
    "Need sign-off from finance before going ahead.",
    "Same issue reported by {company} last month.",
    "Workaround sent; permanent fix to follow.",
    "Checked with {person}: no change on their side.",
    "Will pick this up first thing tomorrow.",
)
PLACEHOLDERS: dict[str, Callable[[random.Random], str]] = {
    "person": lambda rng: f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
    "company": lambda rng: rng.choice((
        "Acme Ltd", "Globex", "Initech", "Umbrella Health", "Stark Logistics", "Wayne Foods",
        "Hooli", "Vandelay Imports", "Soylent Labs", "Tyrell Systems", "Wonka Retail",
    )),
    "order": lambda rng: str(rng.randint(10_000, 99_999)),
    "invoice": lambda rng: f"INV-{rng.randint(100_000, 999_999)}",
    "card": lambda rng: f"{rng.randint(0, 9999):04d}",
    "subscription": lambda rng: f"SUB-{rng.randint(10_000, 99_999)}",
    "device": lambda rng: rng.choice(("iPhone 15", "Pixel 8", "Galaxy S23", "iPad Air")),
    "document": lambda rng: rng.choice(("a PDF contract", "a scanned ID", "a large spreadsheet", "a logo")),
    "host": lambda rng: f"{rng.choice(('web', 'db', 'files', 'mail', 'build'))}-{rng.randint(1, 12):02d}",
    "floor": lambda rng: str(rng.randint(1, 6)),
    "channel": lambda rng: rng.choice(("email", "phone", "chat", "the portal")),
    "plan": lambda rng: rng.choice(("Starter", "Team", "Business", "Enterprise")),
}


class _Placeholders(dict):
    """Template values made on first use, so one task's title and description agree."""

    def __init__(self, rng: random.Random):
        super().__init__()
        self._rng = rng

    def __missing__(self, key: str) -> str:
        value = self[key] = PLACEHOLDERS[key](self._rng)
        return value


def _fill(template: str, rng: random.Random) -> str:
    return template.format_map(_Placeholders(rng))


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, timezone.utc)


def _moves_by_status(leave_out: TaskStatus | None = None) -> dict[TaskStatus, tuple[tuple, tuple]]:
    """MOVE_ODDS as (targets, cumulative weights), keeping only what TRANSITIONS allows (less `leave_out`)."""
    moves = {}
    for status, odds in MOVE_ODDS.items():
        allowed = {target: weight for target, weight in odds.items()
                   if target is None or (target in rules.TRANSITIONS[status] and target is not leave_out)}
        moves[status] = (tuple(allowed), tuple(itertools.accumulate(allowed.values())))
    return moves


STATUS_JSON = {status: {"status": status.value} for status in TaskStatus}


# --- people -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Person:
    id: uuid.UUID
    full_name: str
    department: str


class _Department:
    """A department's manager and the people who work its tasks, busier ones more often."""

    def __init__(self, name: str, manager: _Person):
        self.name = name
        self.manager = manager
        self.workers: list[_Person] = []
        self._loads: list[float] = []
        self._cumulative: list[float] = []

    def hire(self, person: _Person, load: float) -> None:
        self.workers.append(person)
        self._loads.append(load)
        self._cumulative = list(itertools.accumulate(self._loads))

    def pick_worker(self, rng: random.Random) -> _Person:
        """A worker by load; without agents the manager does the work."""
        if not self.workers:
            return self.manager
        return rng.choices(self.workers, cum_weights=self._cumulative)[0]

    def pick_other_worker(self, rng: random.Random, current: _Person) -> _Person | None:
        """Someone to hand the task over to, if the department has anyone else."""
        for _attempt in range(4):
            person = self.pick_worker(rng)
            if person is not current:
                return person
        return None


class _Staff:
    """Everyone in the demo: the four demo users, the other managers and the agents."""

    def __init__(self, rng: random.Random, *, agents: int, now: float, days: int):
        self._days = days
        self.user_rows: list[tuple] = []
        self._rng = rng
        self._now = now
        # One argon2 hash for everyone: hashing is deliberately slow.
        self._password_hash = hash_password(DEMO_PASSWORD)
        self._taken_usernames: set[str] = set()
        demo = {username: self._add(username, name, role, department, phone)
                for username, name, role, department, phone in DEMO_USERS}
        self.admin = demo["admin"]
        self.by_username = demo
        managers = {demo["manager"].department: demo["manager"]}
        for full_name, department in OTHER_MANAGERS:
            managers[department] = self._add(self._username_for(full_name), full_name, Role.MANAGER, department)
        self.departments = {name: _Department(name, managers[name]) for name in DEPARTMENTS}
        self.departments[demo["agent"].department].hire(demo["agent"], DEMO_AGENT_LOAD)
        for index in range(agents):
            full_name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            department = DEPARTMENTS[index % len(DEPARTMENTS)]
            agent = self._add(self._username_for(full_name), full_name, Role.AGENT, department)
            self.departments[department].hire(agent, rng.uniform(0.5, 1.5))

    def _username_for(self, full_name: str) -> str:
        base = full_name.lower().replace(" ", ".")
        username, suffix = base, 1
        while username in self._taken_usernames:
            suffix += 1
            username = f"{base}{suffix}"
        return username

    def _add(self, username: str, full_name: str, role: Role, department: str,
             phone: str | None = None) -> _Person:
        rng = self._rng
        person = _Person(uuid7(), full_name, department)
        self._taken_usernames.add(username)
        if phone is None and role is not Role.VIEWER and rng.random() < 0.6:
            phone = f"+447700900{rng.randint(100, 999)}"
        joined = self._now - (self._days + 30) * DAY + rng.uniform(0, 10) * DAY
        last_login = self._now - rng.uniform(0.1, 72) * HOUR if rng.random() < 0.8 else None
        self.user_rows.append((
            person.id, username, f"{username}@example.com", full_name, role.value, department, phone,
            True, self._password_hash, _utc(joined), _utc(last_login) if last_login else None,
        ))
        return person


# --- time ---------------------------------------------------------------------------------


class _Arrivals:
    """When work arrives: busy office hours, quiet nights and weekends, a little growth."""

    def __init__(self, now: float, days: int):
        hours = days * 24
        self.start = now - hours * HOUR
        self._weights = [self._weight(self.start + hour * HOUR, hour / hours) for hour in range(hours)]
        self._cumulative = list(itertools.accumulate(self._weights))

    @staticmethod
    def _weight(timestamp: float, progress: float) -> float:
        moment = _utc(timestamp)
        day = (1.0, 1.0, 1.0, 1.0, 0.9, 0.25, 0.15)[moment.weekday()]
        hour = 1.0 if 8 <= moment.hour < 18 else 0.4 if moment.hour in (7, 18, 19) else 0.06
        return day * hour * (0.7 + 0.6 * progress)

    def at(self, fraction: float) -> float:
        """The moment by which `fraction` (0 <= fraction < 1) of all arrivals have come in."""
        position = fraction * self._cumulative[-1]
        hour = min(bisect.bisect_right(self._cumulative, position), len(self._weights) - 1)
        before = self._cumulative[hour - 1] if hour else 0.0
        return self.start + (hour + (position - before) / self._weights[hour]) * HOUR


# --- cases --------------------------------------------------------------------------------


class _Cases:
    """Cases planned up front, each opened with a task of its own (its opener), so no case is empty.

    A case's row goes out with its opener, which is simulated first: the case closes as planned only
    if the opener was done by then. The other tasks join a case planned to close only if they were
    done before it closes, so they agree with it closed or open.
    """

    def __init__(self, rng: random.Random, *, count: int, total: int, staff: _Staff, arrivals: _Arrivals,
                 now: float):
        self._planned: list[tuple] = []
        self._ids: list[uuid.UUID] = []
        self._closed_at: list[float | None] = []
        self.departments: list[str] = []
        #: The case each opener opens, by the opener's task number.
        self.opened_by: dict[int, int] = {}
        self._by_department: dict[str, tuple[list[float], list[int]]] = {
            name: ([], []) for name in DEPARTMENTS
        }
        numbers: dict[int, int] = {}
        for index in range(count):
            # One opener in each stretch of TASKS_PER_CASE tasks; the case opens just before it arrives.
            opener = index * TASKS_PER_CASE + rng.randrange(TASKS_PER_CASE)
            created = arrivals.at(opener / total)
            department = rng.choices(DEPARTMENTS, weights=DEPARTMENT_ODDS)[0]
            team = staff.departments[department]
            creator = team.pick_worker(rng) if rng.random() < 0.5 else team.manager
            closed_at = created + rng.uniform(5, 30) * DAY
            if closed_at > now - DAY or rng.random() >= CLOSED_CASE_ODDS:
                closed_at = None
            year = _utc(created).year
            numbers[year] = numbers.get(year, 0) + 1
            case_id = uuid7()
            self._planned.append((
                case_id, f"CASE-{year}-{numbers[year]:05d}", _fill(rng.choice(CASE_TITLES[department]), rng),
                _fill(rng.choice(OPENINGS), rng), creator.id, created,
            ))
            self._ids.append(case_id)
            self._closed_at.append(closed_at)
            self.departments.append(department)
            self.opened_by[opener] = index
            times, indexes = self._by_department[department]
            times.append(created)
            indexes.append(index)

    def opened(self, index: int, finished: float | None) -> tuple[uuid.UUID, tuple]:
        """The case's id and row, once its opener is simulated (`finished`: when it was done for good, or None)."""
        case_id, reference, title, description, creator_id, created = self._planned[index]
        closed_at = self._closed_at[index]
        if finished is None or closed_at is None or finished >= closed_at:
            closed_at = None
        status = CaseStatus.CLOSED if closed_at else CaseStatus.OPEN
        return case_id, (case_id, reference, title, description, status.value, creator_id, _utc(created),
                         _utc(closed_at or created))

    def pick(
        self, rng: random.Random, department: str, created: float, finished: float | None
    ) -> uuid.UUID | None:
        """A case of the department opened lately that could hold this task, if any.

        `finished` is when the task reached Completed or Cancelled for good (None if still open):
        tasks only join a case planned to close if they were done before it closes. A case opened
        after the task arrived is never picked: its row may not be written yet.
        """
        times, indexes = self._by_department[department]
        low = bisect.bisect_left(times, created - CASE_ACTIVE_DAYS * DAY)
        high = bisect.bisect_right(times, created)
        for _attempt in range(3):
            if low >= high:
                return None
            index = indexes[rng.randrange(low, high)]
            closed_at = self._closed_at[index]
            if closed_at is None or (finished is not None and finished < closed_at):
                return self._ids[index]
        return None


# --- tasks --------------------------------------------------------------------------------


class _Task:
    """One task being simulated; `changes` are its history rows after Creation, to be."""

    __slots__ = ("id", "created", "department", "creator", "assignee", "priority", "due",
                 "status", "title", "changes", "moves", "notifications", "last_assigned")

    def __init__(self, task_id: uuid.UUID, created: float, department: _Department, creator: _Person,
                 assignee: _Person | None, priority: Priority, due: float | None, title: str):
        self.id = task_id
        self.created = created
        self.department = department
        self.creator = creator
        self.assignee = assignee
        self.priority = priority
        self.due = due
        self.status = S.NEW
        self.title = title
        self.changes: list[tuple] = []
        #: (moment, status) of each status change, in order.
        self.moves: list[tuple[float, TaskStatus]] = []
        self.notifications: list[tuple] = []
        self.last_assigned = created

    @property
    def last_change(self) -> float:
        return self.changes[-1][0] if self.changes else self.created


class _Ids:
    """Time-ordered ids for one load: a uuid7 and its successors, strictly increasing as uuid7() is, at a fifth of the cost."""

    def __init__(self):
        # The top bit of the random tail cleared: ten million successors cannot carry into the variant bits.
        self._last = uuid7().int & ~(1 << 61)

    def __call__(self) -> uuid.UUID:
        self._last += 1
        return uuid.UUID(int=self._last)


@dataclass(frozen=True)
class _Snapshot:
    """The task fields workflow.history.snapshot reads, as they were at creation."""

    title: str
    description: str
    status: TaskStatus
    priority: Priority
    due_date: datetime | None
    assigned_to: uuid.UUID | None
    case_id: uuid.UUID | None
    tags: list[str]


class _TaskFactory:
    """Simulates tasks in creation order and turns them into rows, a chunk at a time."""

    def __init__(self, seed: int, *, staff: _Staff, cases: _Cases, arrivals: _Arrivals,
                 total: int, now: float, coordinate: Callable[[float], float]):
        self.seed = seed
        self.rng = random.Random(seed)
        self.new_id = _Ids()
        self.coordinate = coordinate
        self.staff = staff
        self.cases = cases
        self.arrivals = arrivals
        self.total = total
        self.now = now
        self.moves = _moves_by_status()
        self.chased_moves = _moves_by_status(leave_out=S.ON_HOLD)
        self.departments = [staff.departments[name] for name in DEPARTMENTS]
        self.priorities = tuple(PRIORITY_ODDS)
        self.priority_odds = tuple(PRIORITY_ODDS.values())
        self.rows: dict[str, list[tuple]] = {}

    def chunk(self, indexes: range) -> dict[str, list[tuple]]:
        """Rows of every task table for the tasks numbered `indexes` (of `total`) and cases they open, parents first.

        A chunk has its own random stream and ids, so chunks can be simulated in any order or process.
        """
        self.rng = random.Random(f"{self.seed}:{indexes.start}")
        self.new_id = _Ids()
        self.rows = {
            name: [] for name in ("cases", "tasks", "task_history", "task_status_intervals", "task_comments",
                                  "task_watchers", "notifications")
        }
        for index in indexes:
            self._task(self.arrivals.at((index + self.rng.random()) / self.total), self.cases.opened_by.get(index))
        return self.rows

    def _task(self, created: float, opens: int | None) -> None:
        """Simulate one task and append its rows; `opens`: the case it opens, if it is one's opener."""
        rng = self.rng
        if opens is None:
            team = rng.choices(self.departments, weights=DEPARTMENT_ODDS)[0]
        else:
            team = self.staff.departments[self.cases.departments[opens]]
        template, base_tags = rng.choice(TOPICS[team.name])
        placeholders = _Placeholders(rng)
        title = template.format_map(placeholders)
        description = " ".join(filter(None, (
            rng.choice(OPENINGS).format_map(placeholders),
            rng.choice(DETAILS[team.name]).format_map(placeholders),
            rng.choice(CLOSINGS).format_map(placeholders),
        )))
        priority = rng.choices(self.priorities, weights=self.priority_odds)[0]
        tags = list(base_tags)
        if rng.random() < EXTRA_TAG_ODDS:
            tags.append(rng.choice(EXTRA_TAGS))
        if priority is Priority.CRITICAL:
            tags.append("urgent")
        tags = list(dict.fromkeys(tags))
        due = None
        if priority is not Priority.LOW or rng.random() >= UNDATED_LOW_ODDS:
            due = created + SLA_HOURS[priority] * HOUR

        # Agents log what comes in, managers and the admin hand work out; an agent may only
        # assign a new task to themself (domain.rules.can_assign).
        roll = rng.random()
        if roll < 0.6:
            creator = team.pick_worker(rng)
            assignee = creator if rng.random() < 0.35 else None
        else:
            creator = team.manager if roll < 0.93 else self.staff.admin
            assignee = team.pick_worker(rng) if rng.random() < 0.45 else None
        task = _Task(self.new_id(), created, team, creator, assignee, priority, due, title)
        if assignee is not None and assignee is not creator:
            self._notify(task, assignee, NotificationType.TASK_ASSIGNMENT, f"You were assigned '{title}'", created)
        self._live(task)

        finished = None if task.status in rules.OPEN_STATUSES else task.last_change
        if opens is not None:
            case_id, case_row = self.cases.opened(opens, finished)
            self.rows["cases"].append(case_row)
        elif rng.random() < IN_CASE_ODDS:
            case_id = self.cases.pick(rng, team.name, created, finished)
        else:
            case_id = None
        creation = history.snapshot(_Snapshot(
            title=title, description=description, status=S.NEW, priority=priority,
            due_date=_utc(due) if due is not None else None, assigned_to=assignee.id if assignee else None,
            case_id=case_id, tags=tags,
        ))
        if finished is None and task.due is not None and task.due < self.now and task.assignee is not None:
            self._notify(task, task.assignee, NotificationType.DUE_DATE, f"'{title}' is overdue", task.due)
        self._comment(task, finished)
        self._watch(task)
        self._emit(task, description, tags, case_id, creation)

    def _live(self, task: _Task) -> None:
        """Move the task through the transition table until it settles or reaches now."""
        rng, now = self.rng, self.now
        pace = rng.lognormvariate(0, PACE_SPREAD)
        stall = rng.uniform(*STALL_FACTOR) if rng.random() < STALL_ODDS else 1.0
        at = task.created
        used = 0.0  # SLA clock used before this phase: it runs while New or In Progress
        while True:
            target = SLA_HOURS[task.priority] * HOUR
            targets, cumulative = (self.chased_moves if used > target else self.moves)[task.status]
            move = rng.choices(targets, cum_weights=cumulative)[0]
            if move is None:
                return
            key = (task.status, move)
            typical = (WORK_SHARE[key] * target * pace if key in WORK_SHARE else WAIT_HOURS[key] * HOUR)
            wait = 0.0
            if move is S.IN_PROGRESS and task.assignee is None:
                wait = max(MIN_GAP, PICKUP_SHARE * target * pace * stall * rng.lognormvariate(0, PHASE_SPREAD))
            start, end = at, at + wait + max(MIN_GAP, typical * stall * rng.lognormvariate(0, PHASE_SPREAD))
            running = task.status in CLOCK_STATUSES
            if running or used > target:
                # Overdue work is chased: the phase ends soon after the clock passes the target.
                chased = at + (max(0.0, target - used) if running else 0.0) + rng.uniform(*CHASE_SHARE) * target
                if end > chased:  # the wait in the queue and the work shrink alike
                    wait, end = wait * (chased - at) / (end - at), chased
            if wait:
                at += wait
                if at > now:
                    return
                self._pick_up(task, at)
            if task.status in rules.OPEN_STATUSES:
                self._side_change(task, at, end)
            if end > now:
                return
            self._move(task, move, end)
            if running:
                used += end - start
            at = end

    def _pick_up(self, task: _Task, at: float) -> None:
        """An agent takes the unassigned task, or the manager hands it to someone."""
        team = task.department
        worker = team.pick_worker(self.rng)
        self._assign(task, worker if self.rng.random() < 0.65 else team.manager, worker, at)

    def _assign(self, task: _Task, actor: _Person, assignee: _Person, at: float) -> None:
        old = task.assignee
        task.changes.append((
            at, actor.id, ChangeType.ASSIGNMENT.value,
            {"assigned_to": history.jsonable(old.id if old else None)}, {"assigned_to": str(assignee.id)},
        ))
        task.assignee = assignee
        task.last_assigned = at
        if actor is not assignee:
            self._notify(task, assignee, NotificationType.TASK_ASSIGNMENT, f"You were assigned '{task.title}'", at)

    def _side_change(self, task: _Task, start: float, end: float) -> None:
        """Maybe one change that is not a move, part-way through a phase: reassign, escalate, extend."""
        rng = self.rng
        at = start + (end - start) * rng.uniform(0.2, 0.8)
        if at > self.now:
            return
        roll = rng.random()
        team = task.department
        if roll < REASSIGN_ODDS:
            other = team.pick_other_worker(rng, task.assignee) if task.assignee is not None else None
            if other is not None:
                self._assign(task, team.manager, other, at)
        elif roll < REASSIGN_ODDS + ESCALATE_ODDS:
            if task.status is S.NEW and not task.moves and task.priority is not Priority.CRITICAL:
                self._escalate(task, team.manager, at)
        elif roll < REASSIGN_ODDS + ESCALATE_ODDS + EXTEND_DUE_ODDS:
            if task.status is S.ON_HOLD and task.due is not None:
                self._extend_due(task, task.assignee or task.creator, at)

    def _escalate(self, task: _Task, manager: _Person, at: float) -> None:
        """One priority up; the due date moves in if the new target is sooner (one Edit row)."""
        priorities = tuple(Priority)
        raised = priorities[priorities.index(task.priority) + 1]
        old = {"priority": task.priority.value}
        new = {"priority": raised.value}
        sooner = at + SLA_HOURS[raised] * HOUR
        if task.due is not None and sooner < task.due:
            old["due_date"] = _utc(task.due).isoformat()
            new["due_date"] = _utc(sooner).isoformat()
            task.due = sooner
        task.priority = raised
        task.changes.append((at, manager.id, ChangeType.EDIT.value, old, new))

    def _extend_due(self, task: _Task, actor: _Person, at: float) -> None:
        """The requester is slow to answer: the due date moves out by a few days."""
        later = max(task.due, at) + self.rng.uniform(1, 4) * DAY
        task.changes.append((
            at, actor.id, ChangeType.EDIT.value,
            {"due_date": _utc(task.due).isoformat()}, {"due_date": _utc(later).isoformat()},
        ))
        task.due = later

    def _move(self, task: _Task, target: TaskStatus, at: float) -> None:
        team = task.department
        if (task.status, target) in rules.SUPERVISOR_TRANSITIONS:
            actor = team.manager
        elif target is S.CANCELLED:
            actor = task.creator if self.rng.random() < 0.5 else team.manager
        else:
            actor = task.assignee or task.creator
        task.changes.append(
            (at, actor.id, ChangeType.STATUS_CHANGE.value, STATUS_JSON[task.status], STATUS_JSON[target])
        )
        task.status = target
        task.moves.append((at, target))
        content = f"'{task.title}' moved to {target.value}"
        if task.creator is not actor and target in (S.COMPLETED, S.CANCELLED):
            self._notify(task, task.creator, NotificationType.STATUS_CHANGE, content, at)
        if task.assignee is not None and task.assignee is not actor and task.assignee is not task.creator:
            self._notify(task, task.assignee, NotificationType.STATUS_CHANGE, content, at)

    def _notify(self, task: _Task, person: _Person, kind: NotificationType, content: str, at: float) -> None:
        read_odds = 0.35 if self.now - at < FRESH_NOTIFICATION else 0.95
        task.notifications.append((person, content, kind.value, self.rng.random() < read_odds, at))

    def _comment(self, task: _Task, finished: float | None) -> None:
        """A few comments while the current assignee has it, by the people involved."""
        rng = self.rng
        if rng.random() >= COMMENT_ODDS:
            return
        start, end = task.last_assigned, finished if finished is not None else self.now
        if end - start < MIN_GAP:
            return
        team = task.department
        authors = [person for person in (task.creator, task.assignee, team.manager) if person is not None]
        for at in sorted(rng.uniform(start, end) for _ in range(rng.choice((1, 1, 1, 2, 2, 3)))):
            author = rng.choice(authors)
            body = _fill(rng.choice(COMMENTS), rng)
            self.rows["task_comments"].append((self.new_id(), task.id, author.id, body, _utc(at)))
            if task.assignee is not None and author is not task.assignee:
                self._notify(task, task.assignee, NotificationType.COMMENT,
                             f"{author.full_name} commented on '{task.title}'", at)

    def _watch(self, task: _Task) -> None:
        watchers = set()
        if task.creator is not task.assignee and self.rng.random() < CREATOR_WATCHES_ODDS:
            watchers.add(task.creator)
        if task.priority is Priority.CRITICAL:
            watchers.add(task.department.manager)
        self.rows["task_watchers"].extend((task.id, person.id, _utc(task.created)) for person in watchers)

    def _emit(self, task: _Task, description: str, tags: list[str], case_id: uuid.UUID | None,
              creation: dict[str, Any]) -> None:
        """Append the task's rows; history ids are drawn in event order so (changed_at, id) sorts right."""
        current = self._intervals(task)
        _task_id, _step, _status, _from, since, _end, _from_start, clock, since_w, _end_w, work_clock = current[-1]
        first_started = next((row[4] for row in current if row[2] == S.IN_PROGRESS.value), None)
        self.rows["tasks"].append((
            task.id, task.title, description, task.status.value, task.priority.value,
            _utc(task.due) if task.due is not None else None, task.assignee.id if task.assignee else None,
            task.creator.id, _utc(task.created), _utc(task.last_change), case_id, tags, 1 + len(task.changes),
            since, first_started, clock, since_w, work_clock,
        ))
        self.rows["task_status_intervals"].extend(current)
        history_rows = self.rows["task_history"]
        history_rows.append((self.new_id(), task.id, task.creator.id, ChangeType.CREATION.value, None, creation,
                             _utc(task.created)))
        history_rows.extend(
            (self.new_id(), task.id, actor_id, change_type, old, new, _utc(at))
            for at, actor_id, change_type, old, new in task.changes
        )
        self.rows["notifications"].extend(
            (self.new_id(), person.id, content, kind, read, _utc(at), task.id)
            for person, content, kind, read, at in task.notifications
        )

    def _intervals(self, task: _Task) -> list[tuple]:
        """The task's status intervals, as db/status_intervals.rebuild derives them from its history."""
        rows = []
        status, began = S.NEW, _utc(task.created)
        began_w = self.coordinate(began.timestamp())
        before, clock, work_clock = (None, None), 0.0, 0.0
        for step, (at, target) in enumerate(task.moves, 1):
            ended = _utc(at)
            ended_w = self.coordinate(ended.timestamp())
            rows.append((task.id, step, status.value, before[0], began, ended, before[1], clock, began_w, ended_w,
                         work_clock))
            clock += clock_part(status, began, ended)
            if status in CLOCK_STATUSES:
                work_clock += ended_w - began_w
            before = (status.value, began)
            status, began, began_w = target, ended, ended_w
        rows.append((task.id, len(task.moves) + 1, status.value, before[0], began, None, before[1], clock, began_w,
                     None, work_clock))
        return rows


# --- writing ------------------------------------------------------------------------------

CSV_NULL = r"\N"


def _pg_array(values: list[str]) -> str:
    """A text[] literal: every element quoted, backslashes and quotes escaped."""
    quoted = ('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values)
    return "{" + ",".join(quoted) + "}"


def _or_null(value: Any) -> Any:
    return CSV_NULL if value is None else value


def _json_or_null(value: Any) -> str:
    # None is SQL NULL, as the ORM stores it (the JSON columns are none_as_null).
    return CSV_NULL if value is None else json.dumps(value)


def _csv_encoder(column, dialect) -> Callable[[Any], Any] | None:
    """How one column's Python values are spelled in PostgreSQL's COPY CSV; None if as str() spells them.

    str() is right for UUIDs, numbers, booleans and aware datetimes ("2026-01-01 09:00:00+00:00").
    """
    impl = column.type.dialect_impl(dialect)
    if isinstance(impl, ARRAY):
        return _pg_array
    if isinstance(impl, JSON):
        return _json_or_null
    return _or_null if column.nullable else None


@functools.cache
def _csv_encoders(table_name: str) -> list[tuple[int, Callable[[Any], Any]]]:
    """(position, encoder) of the columns of COLUMNS[table_name] that str() does not spell right."""
    table, dialect = TABLES[table_name], postgresql.dialect()
    found = ((index, _csv_encoder(table.c[name], dialect)) for index, name in enumerate(COLUMNS[table_name]))
    return [(index, encode) for index, encode in found if encode is not None]


def _csv(table_name: str, rows: list[tuple]) -> bytes:
    """The rows as the CSV that COPY ... FROM STDIN reads."""
    encoders = _csv_encoders(table_name)

    def spelled(row: tuple) -> list:
        row = list(row)
        for index, encode in encoders:
            row[index] = encode(row[index])
        return row

    data = io.BytesIO()
    csv.writer(_Utf8Sink(data), lineterminator="\n").writerows(map(spelled, rows))
    return data.getvalue()


class _CopyWriter:
    """PostgreSQL: COPY ... FROM STDIN as CSV, sent by a helper thread while the next chunk is made.

    psycopg2 lets go of the GIL while the server ingests, so the server and Python work at once.
    """

    def __init__(self, connection: Connection):
        self._cursor = connection.connection.cursor()
        # A chunk's worth of tables waiting at most: memory stays bounded.
        self._pending: queue.Queue = queue.Queue(maxsize=len(COLUMNS))
        self._failure: BaseException | None = None
        self._sender = threading.Thread(target=self._send_all, name="demo-copy", daemon=True)
        self._sender.start()

    def write(self, table: Table, rows: list[tuple] | bytes) -> None:
        """Copy rows, or CSV already spelled by _csv, into the table."""
        self._raise_failure()
        data = rows if isinstance(rows, bytes) else _csv(table.name, rows)
        statement = f"COPY {table.name} ({', '.join(COLUMNS[table.name])}) FROM STDIN WITH (FORMAT csv, NULL '{CSV_NULL}')"
        self._pending.put((statement, io.BytesIO(data)))

    def close(self) -> None:
        """Wait for every COPY sent so far; raise the first one's error, if any."""
        self._pending.put(None)
        self._sender.join()
        self._raise_failure()

    def _send_all(self) -> None:
        while (item := self._pending.get()) is not None:
            if self._failure is None:
                statement, data = item
                try:
                    self._cursor.copy_expert(statement, data)
                except BaseException as error:  # handed to the writing thread by _raise_failure
                    self._failure = error

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure


class _Utf8Sink:
    """A text file for csv.writer over a bytes buffer: UTF-8 takes a quarter of what a StringIO holds."""

    def __init__(self, buffer: io.BytesIO):
        self._buffer = buffer

    def write(self, line: str) -> None:
        self._buffer.write(line.encode())


class _InsertWriter:
    """Other backends (SQLite): Core executemany, so the column types convert the values."""

    def __init__(self, connection: Connection):
        self._connection = connection

    def write(self, table: Table, rows: list[tuple]) -> None:
        columns = COLUMNS[table.name]
        self._connection.execute(insert(table), [dict(zip(columns, row)) for row in rows])

    def close(self) -> None:
        """Nothing to wait for: every insert ran as it was written."""


def _keep_some_unread(connection: Connection, staff: _Staff) -> None:
    """The newest few notifications of the demo users stay unread, whatever the dice said."""
    for username in UNREAD_FOR:
        person = staff.by_username[username]
        newest = (
            select(Notification.id)
            .where(Notification.user_id == person.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(UNREAD_LATEST)
        )
        connection.execute(update(Notification).where(Notification.id.in_(newest)).values(read=False))


# --- entry points -------------------------------------------------------------------------


def generate(
    engine: Engine,
    *,
    tasks: int,
    seed: int = DEFAULT_SEED,
    agents: int = DEFAULT_AGENTS,
    days: int = WINDOW_DAYS,
    on_progress: Callable[[str], None] | None = None,
    chunk_tasks: int = CHUNK_TASKS,
) -> dict[str, int]:
    """Write the demo users and `tasks` simulated tasks arriving over `days` days, with cases, history, comments, watchers, notifications.

    The tasks' status intervals and derived columns come from the simulation itself, as the
    workflow would have written them; the analytics facts are derived from them at the end.
    """
    report = on_progress or (lambda step: None)
    rng = random.Random(seed)
    now = time.time()
    arrivals = _Arrivals(now, days)
    staff = _Staff(rng, agents=agents, now=now, days=days)
    cases = _Cases(rng, count=tasks // TASKS_PER_CASE, total=tasks, staff=staff, arrivals=arrivals, now=now)
    with engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        span = SlaCalendarSpan
        coordinate = span_coordinates(connection.execute(select(span.start_s, span.end_s, span.before_w)).all())
    factory = _TaskFactory(seed, staff=staff, cases=cases, arrivals=arrivals, total=tasks, now=now,
                           coordinate=coordinate)
    counts = dict.fromkeys(COLUMNS, 0)
    # Made before any connection is in use and before the copying thread starts: the workers are forks.
    with _chunk_source(factory, tasks, chunk_tasks, spelled=postgres) as chunks, engine.begin() as connection:
        indexes = _drop_indexes(connection) if postgres else []
        writer = _CopyWriter(connection) if postgres else _InsertWriter(connection)

        def write(name: str, rows: list[tuple] | bytes, count: int) -> None:
            if count:
                writer.write(TABLES[name], rows)
                counts[name] += count

        try:
            write("users", staff.user_rows, len(staff.user_rows))
            for done, tables in chunks:
                # Parents before children (a chunk's cases first): the foreign keys are checked row by row.
                for name, rows, count in tables:
                    write(name, rows, count)
                report(f"{done:,} tasks")
        finally:
            writer.close()
        if indexes:
            # One sorted build per index instead of an insert per row into each while copying.
            connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
            for statement in indexes:
                connection.exec_driver_sql(statement)
            connection.exec_driver_sql("ANALYZE " + ", ".join(BULK_TABLES))
            report(f"{len(indexes)} indexes built")
        _keep_some_unread(connection, staff)
        recount_task_statuses(connection)
        analytics.rebuild_on(connection)
        report("analytics facts derived")
    if postgres:
        # Statistics and the visibility map, for the planner and index-only scans.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE " + ", ".join([*COLUMNS, "report_facts"]))
        report("vacuumed")
    return counts


#: The factory a worker process simulates with (inherited from the parent by fork).
_worker_factory: "_TaskFactory | None" = None


def _adopt(factory: "_TaskFactory") -> None:
    global _worker_factory
    _worker_factory = factory


def _spelled_chunk(indexes: range) -> list[tuple[str, bytes, int]]:
    """In a worker: simulate the chunk and spell its tables as CSV (the parent only copies)."""
    return [(name, _csv(name, rows), len(rows)) for name, rows in _worker_factory.chunk(indexes).items()]


@contextlib.contextmanager
def _chunk_source(factory: "_TaskFactory", tasks: int, chunk_tasks: int, *, spelled: bool):
    """Yields an iterator of (tasks done, [(table, rows or CSV, row count)]) in chunk order.

    Spelled as CSV, chunks are simulated by one worker process per core, a few chunks ahead at
    most; otherwise (a small load, or SQLite's inserts) here, one at a time.
    """
    ranges = [range(start, min(start + chunk_tasks, tasks)) for start in range(0, tasks, chunk_tasks)]
    workers = min(os.cpu_count() or 1, len(ranges))
    if not spelled or workers < 2:
        def here():
            for indexes in ranges:
                rows = factory.chunk(indexes)
                yield indexes.stop, [(name, table_rows, len(table_rows)) for name, table_rows in rows.items()]
        yield here()
        return
    with multiprocessing.get_context("fork").Pool(workers, initializer=_adopt, initargs=(factory,)) as pool:
        def ahead():
            pending = collections.deque()
            for indexes in ranges:
                pending.append((indexes.stop, pool.apply_async(_spelled_chunk, (indexes,))))
                if len(pending) > 2 * workers:
                    done, result = pending.popleft()
                    yield done, result.get()
            while pending:
                done, result = pending.popleft()
                yield done, result.get()
        yield ahead()


#: The tables a load fills in bulk.
BULK_TABLES = ("tasks", "task_history", "task_status_intervals", "task_comments", "task_watchers", "notifications")


def _drop_indexes(connection: Connection) -> list[str]:
    """Drop the bulk tables' indexes that back no constraint (PostgreSQL); return the statements that make them again."""
    found = connection.exec_driver_sql(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
        "WHERE indrelid = ANY(%(tables)s::regclass[]) "
        "AND NOT EXISTS (SELECT FROM pg_constraint WHERE conindid = indexrelid)",
        {"tables": list(BULK_TABLES)},
    ).all()
    if found:
        connection.exec_driver_sql("DROP INDEX " + ", ".join(name for name, _definition in found))
    return [definition for _name, definition in found]


def has_users(engine: Engine) -> bool:
    """Whether anyone has an account yet (the demo only ever fills an empty database)."""
    with engine.connect() as connection:
        return connection.scalar(select(User.id).limit(1)) is not None


def delete_all_rows(engine: Engine) -> None:
    """Empty every table of the schema (the migrations' own bookkeeping stays)."""
    tables = Base.metadata.sorted_tables
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("TRUNCATE " + ", ".join(table.name for table in tables))
        else:
            # The audit log refuses DELETE (its triggers); emptying the whole database is the one exception, as
            # TRUNCATE is on PostgreSQL: the triggers are set aside for it and put back as they were.
            guards = connection.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'"
            ).all()
            for name, _sql in guards:
                connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
            for table in reversed(tables):
                connection.execute(table.delete())
            for _name, sql in guards:
                connection.exec_driver_sql(sql)


def ensure_demo_data() -> None:
    """Fill an empty database (the current app's) with the default demo dataset; leave any other alone."""
    engine = db.engine()
    if has_users(engine):
        return
    started = time.perf_counter()
    counts = generate(engine, tasks=DEFAULT_TASKS)
    logger.info("demo data written in %.1f s: %s", time.perf_counter() - started, counts)
