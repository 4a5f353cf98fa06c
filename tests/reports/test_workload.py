"""Workload: open tasks per assignee and department by priority, overdue, weighted load, the unassigned queue."""
from datetime import date

import pytest

from db.models import Priority, Role
from domain.filters import UNASSIGNED
from reports import drill, workload
from tests.reports.conftest import at

NOW = at(100)


@pytest.fixture
def world(build, make_user):
    ada, bob = make_user(Role.AGENT, department="Support"), make_user(Role.AGENT, department="Field")
    return {
        "ada": ada,
        "bob": bob,
        "ada_low": build.task([], priority=Priority.LOW, assigned_to=ada),
        "ada_critical_overdue": build.task([(1, "In Progress")], priority=Priority.CRITICAL, assigned_to=ada, due=50),
        "ada_done": build.task([(1, "In Progress"), (2, "Completed")], priority=Priority.HIGH, assigned_to=ada, due=50),
        "bob_medium_held": build.task([(5, "On Hold")], created=4, priority=Priority.MEDIUM, assigned_to=bob, due=200),
        "queue_high_overdue": build.task([], created=10, priority=Priority.HIGH, due=20),
        "queue_low": build.task([], created=30, priority=Priority.LOW),
        "queue_cancelled": build.task([(3, "Cancelled")], priority=Priority.CRITICAL),
    }


def test_open_tasks_per_assignee_by_priority_with_overdue_and_weighted_load(world, only):
    rows = workload.open_by_assignee(filters=only(), now=NOW).to_dict("records")
    assert [(r["assigned_to"], r["department"], r["Low"], r["Medium"], r["High"], r["Critical"], r["open"], r["overdue"],
             r["weighted_load"]) for r in rows] == [
        (world["ada"].id, "Support", 1, 0, 0, 1, 2, 1, 6),
        (world["bob"].id, "Field", 0, 1, 0, 0, 1, 0, 2),
    ]


def test_open_tasks_per_department(world, only):
    rows = workload.open_by_department(filters=only(), now=NOW).to_dict("records")
    assert [(r["department"], r["open"], r["overdue"], r["weighted_load"], r["assignees"], r["load_per_assignee"])
            for r in rows] == [("Field", 1, 0, 2, 1, 2.0), ("Support", 2, 1, 6, 1, 6.0)]


def test_unassigned_queue(world, only):
    assert workload.unassigned_queue(filters=only(), now=NOW) == {
        "Low": 1, "Medium": 0, "High": 1, "Critical": 0, "open": 2, "overdue": 1, "weighted_load": 4,
        "oldest_created_at": at(10),
    }


def test_filters_narrow_the_workload(world, only):
    assert list(workload.open_by_assignee(filters=only(department="Field"), now=NOW)["assigned_to"]) == [world["bob"].id]
    assert list(workload.open_by_assignee(filters=only(priority=Priority.LOW), now=NOW)["open"]) == [1]
    # The date range selects by creation.
    assert workload.unassigned_queue(filters=only(date_from=at(20)), now=NOW)["open"] == 1
    assert workload.open_by_assignee(filters=only(date_from=at(1)), now=NOW)["assigned_to"].tolist() == [world["bob"].id]
    assert workload.unassigned_queue(filters=only(assigned_to=world["ada"].id), now=NOW)["open"] == 0


def test_drill_into_a_workload_bar(world, only):
    ada_critical = drill.narrowed(only(), assigned_to=world["ada"].id, priority=Priority.CRITICAL)
    assert drill.open_tasks(filters=ada_critical, now=NOW).page() == [world["ada_critical_overdue"].id]
    assert drill.open_tasks(filters=drill.narrowed(only(), assigned_to=UNASSIGNED), now=NOW).page() == [
        world["queue_high_overdue"].id, world["queue_low"].id,
    ]
    assert drill.open_tasks(filters=only(), now=NOW, overdue_only=True).page() == [
        world["ada_critical_overdue"].id, world["queue_high_overdue"].id,
    ]
    assert drill.open_tasks(filters=drill.narrowed(only(), day=date(2026, 1, 5)), now=NOW).page(1) == [world["ada_low"].id]
