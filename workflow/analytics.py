"""The analytics' raw material, written: the facts (reports/facts.py), the open tasks' SLA due moments and
the hand-back flags (db/handovers.py), kept with every task change and rebuilt on demand."""
import logging
import time
import uuid
from collections import Counter
from collections.abc import Iterable

from sqlalchemy import Connection, func, select, update

import db
from db import prepared, session, status_intervals
from db.handovers import mark_hand_backs
from db.models import ChangeType, ReportFact, ReportFactState, Task, TaskHistory
from db.types import utcnow
from reports import facts, sla

log = logging.getLogger(__name__)


def before_change(task_ids: Iterable[uuid.UUID]) -> Counter:
    """What the tasks account for in the facts before a change (call before changing them)."""
    return facts.contribution(task_ids)


def keep(task_ids: Iterable[uuid.UUID], before: Counter) -> None:
    """Apply the change's difference to the facts, in its transaction (flushes the change first)."""
    task_ids = list(task_ids)
    # Only an assignment can be a hand-back: the flags are looked at when the change writes one.
    reassigned = any(isinstance(row, TaskHistory) and row.change_type == ChangeType.ASSIGNMENT for row in session.new)
    session.flush()
    if reassigned:
        mark_hand_backs(session.connection(), task_ids)
    prepared.execute(session.connection(), "task_sla_due", *sla.due_update(task_ids))
    facts.add(facts.difference(before, facts.contribution(task_ids)))


def mark_stale(reason: str, *, working_time: bool = False) -> None:
    """Say the facts must be rebuilt (in the caller's transaction): the reports read the history until then.

    `working_time`: the calendar changed, so the working-time columns are re-derived first.
    """
    values = {"ready": False, "reason": reason, "progress": 0, "changed_at": utcnow()}
    if working_time:
        values["working_time_stale"] = True
    session.execute(update(ReportFactState).where(ReportFactState.id == 1).values(**values))


def rebuild() -> int:
    """Derive every fact from the history, replacing the ones kept; commit and return how many rows there are.

    Task changes wait for it (the table is locked), so none is lost or counted twice; figures read
    the history meanwhile (facts kept as ready are marked not ready first, so no reader waits on the
    lock). The facts are marked ready only if nothing made them stale again meanwhile (a policy
    change while this ran: the next run derives them again).
    """
    current = facts.state()
    if current is not None and current.ready:
        mark_stale("rebuild requested")
        session.commit()
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("LOCK TABLE report_facts IN EXCLUSIVE MODE")
    rows = rebuild_on(connection)
    session.commit()
    _vacuum("report_facts", "tasks")
    return rows


def _vacuum(*tables: str) -> None:
    """Reclaim the row versions a rebuild left behind and refresh the statistics (PostgreSQL).

    A rebuild rewrites whole tables: until a vacuum, every figure's index scans step over the
    dead versions (four rebuilds left 15 M dead rows beside 3.8 M live ones, and reads slowed by
    up to 4x). Autovacuum would get there, later, and only where it is on.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    # Never a wait: SKIP_LOCKED leaves a table someone holds a conflicting lock on to the next run,
    # and TRUNCATE false keeps the empty pages at the end (the next rebuild fills them) instead of
    # waiting up to 5 s for the exclusive lock that giving them back takes.
    with db.engine().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"VACUUM (ANALYZE, SKIP_LOCKED, TRUNCATE false) {', '.join(tables)}")


def rebuild_on(connection: Connection) -> int:
    """The rebuild's statements on `connection`, in its transaction (bulk loads call this); the rows written."""
    started = connection.scalar(select(ReportFactState.changed_at).where(ReportFactState.id == 1))
    mark_hand_backs(connection)
    connection.execute(*sla.due_update())
    for statement in facts.rebuild_statements(connection.dialect.name):
        connection.execute(statement)
    connection.execute(update(ReportFactState).where(ReportFactState.id == 1, ReportFactState.changed_at == started)
                       .values(ready=True, reason="", progress=100))
    return connection.scalar(select(func.count()).select_from(ReportFact))


#: Tasks whose working time one transaction of the re-derivation covers.
WORKING_TIME_BATCH = 5_000


def rebuild_if_stale() -> int | None:
    """The scheduled duty: rebuild what a change marked stale; the fact rows written, or None if nothing was.

    After a calendar change the working-time columns are re-derived first, a batch of tasks per
    transaction (task changes wait for one batch at most), with the progress in the state row.
    """
    current = facts.state()
    stale, working_time = current is not None and not current.ready, current is not None and current.working_time_stale
    started = current.changed_at if current is not None else None
    reason = current.reason if current is not None else ""
    session.commit()  # nothing held while waiting for another run's lock
    if not stale:
        return None
    began = time.perf_counter()
    if working_time:
        _rederive_working_time(started)
        _vacuum("task_status_intervals")
    rows = rebuild()
    log.info("analytics facts rebuilt (%s): %d rows in %.1f s", reason, rows, time.perf_counter() - began)
    return rows


def _rederive_working_time(started) -> None:
    total = session.scalar(select(func.count()).select_from(Task)) or 1
    done, last = 0, None
    while True:
        batch = select(Task.id).order_by(Task.id).limit(WORKING_TIME_BATCH)
        chosen = session.scalars(batch.where(Task.id > last) if last is not None else batch).all()
        if not chosen:
            break
        status_intervals.rederive_working_time(session.connection(), chosen)
        done, last = done + len(chosen), chosen[-1]
        # Most of the job; the facts' rebuild is the rest.
        session.execute(update(ReportFactState).where(ReportFactState.id == 1, ReportFactState.changed_at == started)
                        .values(progress=min(80, 80 * done // total)))
        session.commit()
    session.execute(update(ReportFactState).where(ReportFactState.id == 1, ReportFactState.changed_at == started)
                    .values(working_time_stale=False))
    session.commit()
