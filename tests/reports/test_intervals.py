"""Status intervals: one per stretch in a status, ordered by (changed_at, id), ties included."""
from sqlalchemy import select

from db import session
from db.models import ChangeType
from db.types import uuid7
from reports.intervals import status_intervals
from tests.reports.conftest import T0


def intervals_of(filters, task):
    intervals = status_intervals(filters)
    rows = session.execute(select(intervals).where(intervals.c.task_id == task.id).order_by(intervals.c.step)).mappings()
    hours = lambda value: None if value is None else (value - T0.timestamp()) / 3600  # noqa: E731
    return [(row["status"], row["from_status"], hours(row["start_s"]), hours(row["end_s"])) for row in rows]


def test_each_status_change_ends_one_interval_and_starts_the_next(build, only):
    task = build.task([(1, "In Progress"), (3, "On Hold"), (13, "In Progress"), (13.5, "Completed")])
    build.row(task, 14, ChangeType.EDIT, {"title": "a"}, {"title": "b"})  # not a status change: no interval
    assert intervals_of(only(), task) == [
        ("New", None, 0, 1),
        ("In Progress", "New", 1, 3),
        ("On Hold", "In Progress", 3, 13),
        ("In Progress", "On Hold", 13, 13.5),
        ("Completed", "In Progress", 13.5, None),
    ]


def test_rows_at_the_same_moment_follow_their_ids(build, only):
    task = build.task([])
    first, second = uuid7(), uuid7()
    # Written in the other order: the id, not the insertion, decides.
    build.row(task, 2, ChangeType.STATUS_CHANGE, {"status": "On Hold"}, {"status": "In Progress"}, row_id=second)
    build.row(task, 2, ChangeType.STATUS_CHANGE, {"status": "New"}, {"status": "On Hold"}, row_id=first)
    assert intervals_of(only(), task) == [
        ("New", None, 0, 2),
        ("On Hold", "New", 2, 2),
        ("In Progress", "On Hold", 2, None),
    ]


def test_deleted_tasks_have_no_intervals(build, only):
    from db.types import utcnow

    task = build.task([(1, "In Progress")])
    task.deleted_at = utcnow()
    session.flush()
    assert intervals_of(only(), task) == []
