"""Analytics facts: the raw material of the flow and SLA figures, pre-aggregated per UTC day.

Each row of `report_facts` counts the events of one measure on one day for one key (the task's
current priority and assignee, a status, the status before) and, for measures with a duration,
one log-spaced bucket of it:

- ENTERED: a stretch in `status` began, from `from_status` (NONE at creation); the bucket is the
  time the task had spent in `from_status` (NO_DURATION at creation).
- LEFT: a stretch in `status` ended; the bucket is its length.
- CYCLE, LEAD: a task now Completed, on the day of its last completion; first In Progress (or
  creation) to completion.
- SLA_MET, SLA_BREACHED: a task now Completed, within or past its priority's target.
- SLA_CLOCK: the same tasks; the bucket is the SLA clock they used (working seconds for a
  business-hours target), for targets other than the policy's (what if).
- OPEN_DUE: an open task, on the day its SLA clock passes (or passed) its target (tasks.sla_due_s);
  the bucket is that moment's hour of the day (0-23), `status` the task's status now. The hours
  before the current one hold the open breaches; the current hour's are read live.
- CURRENT: every task, in its status now, on the fixed day CURRENT_DAY (no event is that old): the
  state the daily entries and exits add up to, so a day's state is read from the days after it.
- OPEN_CREATED: an open task, on the day it was created, `status` NONE; the bucket is the day of its
  due date (days since 1970-01-01, NEVER_DUE without one) and `from_status` that moment's hour of the
  day (0-23; NONE without one). The workload of tasks created in a period, and its overdue work: the
  hours before the current one (the current hour's are read live).
- REOPENED, HANDED_BACK: a reopen (In Progress from Completed; `status` In Progress) or a hand-back
  (a task given back to someone who held it before; `status` NONE), on its day; the bucket is the
  day of the task's previous one of the kind (days since 1970-01-01, FIRST_TIME for its first). The
  tasks reworked in a period are counted once each: at the event whose previous one came before it.
- DAY_ENTERED, DAY_LEFT: ENTERED and LEFT again without from_status or bucket: a few rows per day,
  which the cumulative flow reads (ENTERED's and LEFT's rows of a month are tens of thousands).

One statement (`event_rows`) states every event in SQL; `derivation` counts them at each grain.
Every task change applies, in its own transaction, the difference between the changed tasks'
events before and after it (`contribution`, `upsert`), so a figure is never stale; `flask reports
rebuild` runs the same derivation over every task. Deleted tasks contribute nothing; a change of
priority or assignee moves a task's whole contribution to its new key, as the reports' filters
look at current values.

A bucket b >= 1 holds durations in [GROWTH**(b-1), GROWTH**b) seconds: a percentile read from the
buckets is within ERROR (4.9 %) of the exact one for durations of a second or more.
"""
import functools
import math
import uuid
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import (BindParameter, CompoundSelect, Date, Uuid, and_, bindparam, case, cast, delete, func,
                        literal, or_, select, text, union_all)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased

from db import prepared, session
from db.models import (Priority, ReportFact, ReportFactState, SlaTarget, Task, TaskHistory, TaskStatus,
                       TaskStatusInterval, User)
from db.status_intervals import reopens
from db.types import epoch_seconds
from domain.filters import UNASSIGNED, TaskFilters
from domain.rules import OPEN_STATUSES
from domain.sla import DEFAULT_TARGET_MINUTES
from reports.sql import BUCKET_GROWTH, dialect_name, epoch_day, floor_int, log_bucket, utc_day

#: Seconds in an hour and a day (OPEN_DUE's bucket is the hour of its day).
HOUR, DAY = 3600, 86400
ENTERED, LEFT, CYCLE, LEAD, SLA_MET, SLA_BREACHED, OPEN_DUE, SLA_CLOCK, CURRENT = 1, 2, 3, 4, 5, 6, 7, 8, 9
#: (10 was DUE: open tasks by due day alone, which cannot be narrowed to a creation period.)
OPEN_CREATED, REOPENED, HANDED_BACK = 11, 12, 13
DAY_ENTERED, DAY_LEFT = 14, 15
#: OPEN_CREATED's due day of a task without a due date, and the last day a due date is told apart
#: (2059-09-18, the bucket column's largest value): never before any day the workload is read on.
NEVER_DUE = 32767
#: The day CURRENT rows are kept on, and day 0 of the days kept as numbers in buckets.
CURRENT_DAY = EPOCH_DAY = date(1970, 1, 1)
#: REOPENED's and HANDED_BACK's bucket for a task's first: before any day.
FIRST_TIME = -1
#: The grains every event is counted at: all tasks, per department of the assignee, per assignee.
ALL, BY_DEPARTMENT, BY_ASSIGNEE = 0, 1, 2
#: from_status of a task's first stretch, and the bucket of an event with no duration.
NONE, NO_DURATION = -1, 0
#: The blank of the key's assignee (unassigned tasks, and grains not per assignee) and department.
NOBODY, NO_DEPARTMENT = uuid.UUID(int=0), ""
#: Ratio of a bucket's upper to its lower bound, and the largest relative error of a value read from it.
GROWTH = BUCKET_GROWTH
ERROR = math.sqrt(GROWTH) - 1
STATUS_CODES = {status: number for number, status in enumerate(TaskStatus)}
PRIORITY_CODES = {priority: number for number, priority in enumerate(Priority)}
STATUSES = {number: status.value for status, number in STATUS_CODES.items()}
PRIORITIES = {number: priority.value for priority, number in PRIORITY_CODES.items()}
EVENT = ("measure", "day", "priority", "status", "from_status", "bucket")
KEY = ("grain", "assignee_id", "department", *EVENT)
#: The table (Core, not the ORM class: the upserts are plain multi-row statements).
FACTS = ReportFact.__table__
#: The filters the facts are keyed by; any other (a tag, a text search) is answered from the history.
COVERED_FILTERS = {"priority", "assigned_to", "department", "date_from", "date_to"}


def _code(column, codes: dict, missing=None):
    mapping = case({member: number for member, number in codes.items()}, value=column)
    return mapping if missing is None else func.coalesce(mapping, missing)


def _hour_of_day(moment_s):
    """SQL: the UTC hour of the day (0-23) of a moment in epoch seconds (at or after 1970)."""
    return floor_int(moment_s / HOUR) - 24 * floor_int(moment_s / DAY)


def event_rows(task_ids: Iterable[uuid.UUID] | BindParameter | None = None) -> CompoundSelect:
    """SELECT of every event the facts count (EVENT columns, assignee_id, department), of every live task or of `task_ids`.

    `task_ids` may be a parameter: an expanding one for a list of ids, a plain one for a single id.
    """
    task, interval = Task, TaskStatusInterval
    scope = [task.deleted_at.is_(None)]
    if isinstance(task_ids, BindParameter) and not task_ids.expanding:
        scope.append(task.id == task_ids)
    elif task_ids is not None:
        scope.append(task.id.in_(task_ids if isinstance(task_ids, BindParameter) else list(task_ids)))
    owners = [_code(task.priority, PRIORITY_CODES).label("priority"),
              func.coalesce(task.assigned_to, literal(NOBODY, Uuid)).label("assignee_id"),
              func.coalesce(User.department, NO_DEPARTMENT).label("department")]

    def interval_rows(measure: int, moment, from_status, bucket, *where):
        return (
            select(literal(measure).label("measure"), utc_day(moment).label("day"), *owners,
                   _code(interval.status, STATUS_CODES).label("status"), from_status.label("from_status"),
                   bucket.label("bucket"))
            .join(task, task.id == interval.task_id)
            .outerjoin(User, User.id == task.assigned_to)
            .where(*scope, *where)
        )

    source_time = epoch_seconds(interval.started_at) - epoch_seconds(interval.from_started_at)
    entered = interval_rows(
        ENTERED, interval.started_at, _code(interval.from_status, STATUS_CODES, NONE),
        case((interval.from_started_at.is_not(None), log_bucket(source_time)), else_=NO_DURATION),
    )
    left = interval_rows(
        LEFT, interval.ended_at, literal(NONE),
        log_bucket(epoch_seconds(interval.ended_at) - epoch_seconds(interval.started_at)),
        interval.ended_at.is_not(None),
    )
    entered_day = interval_rows(DAY_ENTERED, interval.started_at, literal(NONE), literal(NO_DURATION))
    left_day = interval_rows(DAY_LEFT, interval.ended_at, literal(NONE), literal(NO_DURATION),
                             interval.ended_at.is_not(None))
    done = epoch_seconds(task.status_since)

    def task_rows(measure, bucket, *where):
        return (
            select(measure.label("measure"), utc_day(task.status_since).label("day"), *owners,
                   literal(STATUS_CODES[TaskStatus.COMPLETED]).label("status"), literal(NONE).label("from_status"),
                   bucket.label("bucket"))
            .select_from(task)
            .outerjoin(User, User.id == task.assigned_to)
            .where(*scope, task.status == TaskStatus.COMPLETED, *where)
        )

    cycle = task_rows(literal(CYCLE), log_bucket(done - epoch_seconds(task.first_started_at)),
                      task.first_started_at.is_not(None))
    lead = task_rows(literal(LEAD), log_bucket(done - epoch_seconds(task.created_at)))
    clock = clock_used()
    sla = task_rows(case((clock <= target_seconds(), SLA_MET), else_=SLA_BREACHED), literal(NO_DURATION))
    clocks = task_rows(literal(SLA_CLOCK), log_bucket(clock))

    def state_rows(measure: int, day, status, *where, bucket=literal(NO_DURATION), from_status=literal(NONE)):
        return (
            select(literal(measure).label("measure"), day.label("day"), *owners,
                   status.label("status"), from_status.label("from_status"),
                   bucket.label("bucket"))
            .select_from(task)
            .outerjoin(User, User.id == task.assigned_to)
            .where(*scope, *where)
        )

    open_now = task.status.in_(OPEN_STATUSES)
    status_now = _code(task.status, STATUS_CODES)
    sla_due = state_rows(OPEN_DUE, epoch_day(task.sla_due_s), status_now, open_now, task.sla_due_s.is_not(None),
                         bucket=_hour_of_day(task.sla_due_s))
    current = state_rows(CURRENT, literal(CURRENT_DAY, Date), status_now)
    due_s = epoch_seconds(task.due_date)
    due_day = case((task.due_date.is_(None), NEVER_DUE), (due_s < 0, 0), (due_s >= NEVER_DUE * DAY, NEVER_DUE),
                   else_=floor_int(due_s / DAY))
    due_hour = case((task.due_date.is_(None), NONE), (due_s < 0, 0), (due_s >= NEVER_DUE * DAY, 0),
                    else_=_hour_of_day(due_s))
    # Without its status: a move between open statuses (most changes) leaves it as it is.
    created = state_rows(OPEN_CREATED, utc_day(task.created_at), literal(NONE), open_now, bucket=due_day,
                         from_status=due_hour)

    def previous_day(moment):
        return func.coalesce(floor_int(epoch_seconds(moment) / DAY), FIRST_TIME)

    earlier = aliased(TaskStatusInterval, name="earlier")
    reopened = interval_rows(
        REOPENED, interval.started_at, literal(NONE),
        previous_day(select(func.max(earlier.started_at))
                     .where(earlier.task_id == interval.task_id, earlier.step < interval.step, *reopens(earlier))
                     .scalar_subquery()),
        *reopens(interval),
    )
    history, before = TaskHistory, aliased(TaskHistory, name="before")
    previous_hand_back = (
        select(func.max(before.changed_at))
        .where(before.task_id == history.task_id, before.returned_to_holder,
               # The history's order: two hand-backs of one moment are one after the other too.
               or_(before.changed_at < history.changed_at, and_(before.changed_at == history.changed_at,
                                                               before.id < history.id)))
        .scalar_subquery()
    )
    handed_back = (
        select(literal(HANDED_BACK).label("measure"), utc_day(history.changed_at).label("day"), *owners,
               literal(NONE).label("status"), literal(NONE).label("from_status"),
               previous_day(previous_hand_back).label("bucket"))
        .select_from(history)
        .join(task, task.id == history.task_id)
        .outerjoin(User, User.id == task.assigned_to)
        .where(*scope, history.returned_to_holder)
    )
    return union_all(entered, left, entered_day, left_day, cycle, lead, sla, clocks, sla_due, current, created,
                     reopened, handed_back)


def derivation(task_ids: Iterable[uuid.UUID] | None = None) -> CompoundSelect:
    """SELECT of the fact rows (KEY columns and n) of every live task, or of `task_ids`: the events at each grain."""
    # Referenced three times: PostgreSQL computes a CTE once.
    events = event_rows(task_ids).cte("events")
    shape = [events.c[name] for name in EVENT]

    def at_grain(grain: int, assignee=None, department=None):
        owned = [(assignee if assignee is not None else literal(NOBODY, Uuid)).label("assignee_id"),
                 (department if department is not None else literal(NO_DEPARTMENT)).label("department")]
        grouped = [column for column in (assignee, department) if column is not None]
        return select(literal(grain).label("grain"), *owned, *shape, func.count().label("n")).group_by(*grouped, *shape)

    return union_all(at_grain(ALL), at_grain(BY_DEPARTMENT, department=events.c.department),
                     at_grain(BY_ASSIGNEE, assignee=events.c.assignee_id))


def clock_used():
    """The SLA clock a task had used when its current status began: working seconds for a business-hours target."""
    business = Task.priority.in_(select(SlaTarget.priority).where(SlaTarget.business_hours.is_(True)))
    return case((business, Task.sla_work_clock_s), else_=Task.sla_clock_s)


def target_seconds():
    """The target of the task's priority in seconds under the policy, read in the statement itself."""
    # Correlated by name: the SLA clock nests this in further subqueries.
    stored = (select(SlaTarget.target_minutes * 60.0).where(SlaTarget.priority == Task.priority)
              .correlate(Task).scalar_subquery())
    default = case({priority: minutes * 60.0 for priority, minutes in DEFAULT_TARGET_MINUTES.items()}, value=Task.priority)
    return func.coalesce(stored, default)


@functools.cache
def _events_of_task() -> CompoundSelect:
    """The events of the task given as the `task_id` parameter: built once (building it costs more than running it)."""
    return event_rows(bindparam("task_id", type_=Uuid))


def contribution(task_ids: Iterable[uuid.UUID]) -> Counter:
    """The fact rows the tasks account for now, as {key tuple: n} (read in the caller's transaction).

    Read a task at a time with a statement prepared once per connection (db/prepared.py): every
    change reads its task's events twice. The few events are counted at the three grains here
    rather than in SQL: the same counting as `derivation`, without planning its grouping.
    """
    rows = []
    with session.no_autoflush:
        for task_id in task_ids:
            rows += prepared.rows(session.connection(), "report_fact_events", _events_of_task(), {"task_id": task_id})
    counted = Counter()
    for row in rows:
        shape = tuple(row[name] for name in EVENT)
        counted[(ALL, NOBODY, NO_DEPARTMENT, *shape)] += 1
        counted[(BY_DEPARTMENT, NOBODY, row["department"], *shape)] += 1
        counted[(BY_ASSIGNEE, row["assignee_id"], NO_DEPARTMENT, *shape)] += 1
    return counted


def add(delta: dict[tuple, int]) -> None:
    """Add `delta` ({key: n}) to the facts, in the caller's transaction.

    Its rows go in key order: concurrent changes lock the rows they share in the same order, so
    they wait for each other instead of deadlocking, and no increment is lost. One statement, built
    once; on PostgreSQL the rows travel as one array per column (one round trip, one plan).
    """
    rows = [(*key, n) for key, n in sorted(delta.items(), key=lambda item: _sort_key(item[0])) if n]
    if not rows:
        return
    names = (*KEY, "n")
    if dialect_name() == "postgresql":
        prepared.execute(session.connection(), "report_facts_add", _upsert_arrays(),
                         {name: list(values) for name, values in zip(names, zip(*rows))})
    else:
        session.execute(_upsert_rows(), [dict(zip(names, row)) for row in rows])


def _on_conflict_add(statement):
    return statement.on_conflict_do_update(index_elements=list(KEY), set_={"n": FACTS.c.n + statement.excluded.n})


@functools.cache
def _upsert_arrays():
    rows = select(*(func.unnest(cast(bindparam(name), ARRAY(FACTS.c[name].type))).label(name) for name in (*KEY, "n")))
    return _on_conflict_add(postgresql.insert(FACTS).from_select([*KEY, "n"], rows))


@functools.cache
def _upsert_rows():
    return _on_conflict_add(sqlite.insert(FACTS))


def _sort_key(key: tuple) -> tuple:
    return tuple(str(part) if isinstance(part, uuid.UUID) else part for part in key)


def difference(before: Counter, after: Counter) -> dict[tuple, int]:
    """after - before, key by key, keeping negative counts."""
    return {key: after.get(key, 0) - before.get(key, 0) for key in before.keys() | after.keys()
            if after.get(key, 0) != before.get(key, 0)}


def stored() -> Counter:
    """The facts as kept, {key: n} (cells at zero left out)."""
    columns = [getattr(ReportFact, name) for name in KEY]
    rows = session.execute(select(*columns, ReportFact.n).where(ReportFact.n != 0))
    return Counter({tuple(row[:-1]): row[-1] for row in rows})


def derived() -> Counter:
    """The facts as a derivation from the history gives them now, {key: n}."""
    return Counter({tuple(row[:-1]): row[-1] for row in session.execute(derivation())})


def rebuild_statements(dialect: str) -> list:
    """The statements that replace every fact with the derivation over all tasks (the caller marks them ready).

    The rows are written in key order, which is the index's, into an emptied table (TRUNCATE on
    PostgreSQL: no dead rows left beside them, a compact index): a figure's rows then lie together,
    and reading them takes a half to a third of the time it takes when they are scattered
    (measured on 1 M tasks).
    """
    derived_rows = derivation().subquery("derived")
    index_order = [derived_rows.c[column.name] for column in FACTS.primary_key.columns]
    in_key_order = select(*(derived_rows.c[name] for name in (*KEY, "n"))).order_by(*index_order)
    empty = text(f"TRUNCATE {FACTS.name}") if dialect == "postgresql" else delete(ReportFact)
    return [empty, ReportFact.__table__.insert().from_select([*KEY, "n"], in_key_order)]


# --- reading ------------------------------------------------------------------------------


def state() -> ReportFactState | None:
    """The facts' state row."""
    return session.get(ReportFactState, 1)


def ready() -> bool:
    """Whether the facts (and the tasks' kept due moments) are current."""
    current = state()
    return current is not None and current.ready


def _midnight(moment: datetime | None) -> bool:
    return moment is None or moment.astimezone(timezone.utc).timetz().replace(tzinfo=None) == time(0)


def uncovered(filters: TaskFilters) -> str | None:
    """Why the facts cannot answer for these filters (they are computed from the history then), or None if they can."""
    others = [name for name, value in vars(filters).items() if value is not None and name not in COVERED_FILTERS]
    if others:
        return f"the filter {', '.join(sorted(others))} is not kept in the analytics facts"
    if not (_midnight(filters.date_from) and _midnight(filters.date_to)):
        return "the period does not start and end at midnight UTC"
    current = state()
    if not ready():
        reason = current.reason if current is not None and current.reason else "first build"
        progress = f", {current.progress} % done" if current is not None and current.progress else ""
        return f"the analytics facts are being recomputed ({reason}{progress})"
    return None


def conditions(filters: TaskFilters, measures: Iterable[int], by: Iterable[str] = (), *,
               through: date | None = None, after: date | None = None, before: date | None = None,
               period: bool = True, due_before: dict[int, datetime] | None = None,
               overdue_at: datetime | None = None) -> list:
    """WHERE conditions on report_facts for these measures and filters, at the grain that serves them.

    A filter or grouping by assignee reads the per-assignee rows, one by department the
    per-department rows, anything else the rows of all tasks. `through` (a last day) or `after` (a
    day) replaces the period: everything up to it, or everything after it; `before` (a day) cuts
    the period short; `period=False` ignores it (CURRENT rows); `due_before` (OPEN_DUE rows) keeps
    the rows of each priority code before the hour that begins at its moment; `overdue_at` (the start of an
    hour, OPEN_CREATED rows) keeps the tasks due before it.
    """
    fact = ReportFact
    by = set(by)
    if filters.assigned_to is not None or "assignee_id" in by:
        where = [fact.grain == BY_ASSIGNEE, fact.department == NO_DEPARTMENT]
        if filters.assigned_to is not None:
            where.append(fact.assignee_id == (NOBODY if filters.assigned_to == UNASSIGNED else filters.assigned_to))
        if filters.department is not None:
            where.append(fact.assignee_id.in_(select(User.id).where(User.department == filters.department)))
    elif filters.department is not None or "department" in by:
        where = [fact.grain == BY_DEPARTMENT, fact.assignee_id == NOBODY]
        if filters.department is not None:
            where.append(fact.department == filters.department)
    else:
        where = [fact.grain == ALL, fact.assignee_id == NOBODY, fact.department == NO_DEPARTMENT]
    where.append(fact.measure.in_(list(measures)))
    if through is not None:
        where.append(fact.day <= through)
    elif after is not None:
        where.append(fact.day > after)
    elif period:
        if filters.date_from is not None:
            where.append(fact.day >= filters.date_from.astimezone(timezone.utc).date())
        if filters.date_to is not None:
            where.append(fact.day < filters.date_to.astimezone(timezone.utc).date())
    if before is not None:
        where.append(fact.day < before)
    if due_before is not None:
        where.append(or_(*(and_(fact.priority == code, or_(fact.day < moment.date(),
                                                            and_(fact.day == moment.date(), fact.bucket < moment.hour)))
                           for code, moment in due_before.items())))
    if overdue_at is not None:
        today = day_number(overdue_at.astimezone(timezone.utc).date())
        where.append(or_(fact.bucket < today, and_(fact.bucket == today, fact.from_status < overdue_at.hour)))
    if filters.priority is not None:
        where.append(fact.priority == PRIORITY_CODES[Priority(filters.priority)])
    return where


def counts(filters: TaskFilters, measures: Iterable[int], by: Iterable[str], **days) -> list:
    """Summed n per group of the `by` columns (names of report_facts columns), for the filters; rows of (*by, n).

    `days`: the keywords of `conditions` that choose the days.
    """
    by = list(by)
    columns = [getattr(ReportFact, name) for name in by]
    statement = (select(*columns, func.sum(ReportFact.n).label("n"))
                 .where(*conditions(filters, measures, by, **days)).group_by(*columns))
    return [tuple(row) for row in session.execute(statement)]


def midpoint(bucket: int) -> float:
    """The value, in seconds, a bucket stands for: the geometric middle of its bounds."""
    return GROWTH ** (bucket - 0.5)


def percentile(histogram: dict[int, int], percent: float) -> float | None:
    """The `percent` percentile (interpolated like percentile_cont) of a {bucket: count} histogram, in seconds."""
    total = sum(histogram.values())
    if total <= 0:
        return None
    position = percent / 100 * (total - 1)
    below = math.floor(position)
    low, high = _value_at(histogram, below), _value_at(histogram, min(below + 1, total - 1))
    return low + (position - below) * (high - low)


def _value_at(histogram: dict[int, int], rank: int) -> float:
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if rank < seen:
            return midpoint(bucket)
    return midpoint(max(histogram))


def share_within(histogram: dict[int, int], limit_s: float) -> int:
    """How many of the histogram's values are at most `limit_s` seconds, reading each bucket as its midpoint."""
    return sum(count for bucket, count in histogram.items() if midpoint(bucket) <= limit_s)


def day_number(day: date) -> int:
    """A day as the buckets keep it: days since 1970-01-01."""
    return (day - EPOCH_DAY).days


def day_start(day: date) -> datetime:
    """The moment a UTC day begins."""
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def monday(day: date) -> date:
    """The Monday of a day's ISO week."""
    return day - timedelta(days=day.weekday())


