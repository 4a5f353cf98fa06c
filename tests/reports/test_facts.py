"""The analytics facts: kept by every change exactly as a derivation from scratch gives them, and every figure
read from them equal to the one computed from the history (percentiles within the stated error)."""
import math
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pandas as pd
import pytest
from sqlalchemy import select

from db import session
from db.models import Priority, ReportFact, Role, TaskStatus
from domain.filters import TaskFilters
from reports import facts, flow, sla, workload
from tests.reports.conftest import at
from workflow import analytics, tasks, users
from workflow import sla as sla_policy

S = TaskStatus
IP, HOLD, DONE = "In Progress", "On Hold", "Completed"
NOW = at(400)


kept, derived = facts.stored, facts.derived


def test_facts_equal_a_derivation_after_every_kind_of_change(ctx, make_user):
    manager, ada, bob = make_user(Role.MANAGER), make_user(Role.AGENT), make_user(Role.AGENT)
    assert kept() == derived()
    task = tasks.create_task(actor=manager, title="kept", priority=Priority.HIGH, assigned_to=ada.id)
    other = tasks.create_task(actor=manager, title="beside it", priority=Priority.HIGH, assigned_to=ada.id)
    steps = [
        lambda: tasks.change_status(actor=manager, task_id=task.id, status=S.IN_PROGRESS),
        lambda: tasks.change_status(actor=manager, task_id=other.id, status=S.IN_PROGRESS),
        lambda: tasks.change_status(actor=manager, task_id=task.id, status=S.ON_HOLD),
        lambda: tasks.change_status(actor=manager, task_id=task.id, status=S.IN_PROGRESS),
        lambda: tasks.change_status(actor=manager, task_id=task.id, status=S.COMPLETED),
        lambda: tasks.change_status(actor=manager, task_id=other.id, status=S.COMPLETED),
        # Reopen, reassign, a new priority: the whole contribution moves to the new key.
        lambda: tasks.change_status(actor=manager, task_id=task.id, status=S.IN_PROGRESS),
        lambda: tasks.update_task(actor=manager, task_id=task.id, changes={"assigned_to": bob.id}),
        lambda: tasks.update_task(actor=manager, task_id=other.id, changes={"priority": Priority.LOW}),
        lambda: tasks.update_task(actor=manager, task_id=other.id, changes={"assigned_to": None}),
        # A due date set, moved and cleared: the open task's due day (OPEN_CREATED) follows it.
        lambda: tasks.update_task(actor=manager, task_id=task.id, changes={"due_date": datetime(2026, 3, 2, 17, 0,
                                                                                             tzinfo=timezone.utc)}),
        lambda: tasks.update_task(actor=manager, task_id=task.id, changes={"due_date": datetime(2031, 1, 1,
                                                                                             tzinfo=timezone.utc)}),
        lambda: tasks.update_task(actor=manager, task_id=other.id, changes={"due_date": datetime(2026, 3, 2,
                                                                                              tzinfo=timezone.utc)}),
        lambda: tasks.update_task(actor=manager, task_id=task.id, changes={"due_date": None}),
        # Handed back to ada, who held it first, then back to bob: two hand-backs (HANDED_BACK).
        lambda: tasks.update_task(actor=manager, task_id=task.id, changes={"assigned_to": ada.id}),
        lambda: tasks.update_task(actor=manager, task_id=task.id, changes={"assigned_to": bob.id}),
        lambda: tasks.update_task(actor=manager, task_id=task.id, changes={"status": S.COMPLETED, "priority": Priority.CRITICAL}),
        # Cancel and restore, then delete.
        lambda: tasks.change_status(actor=manager, task_id=task.id, status=S.IN_PROGRESS),
        lambda: tasks.change_status(actor=manager, task_id=task.id, status=S.CANCELLED),
        lambda: tasks.change_status(actor=manager, task_id=task.id, status=S.NEW),
        lambda: tasks.delete_task(actor=manager, task_id=other.id),
    ]
    for number, step in enumerate(steps):
        step()
        assert kept() == derived(), f"after step {number}"
    # The kept task's whole history now counts under its current key (Critical, bob); the deleted one's not at all.
    now_counted = facts.contribution([task.id])
    fields = [dict(zip(facts.KEY, key)) for key in now_counted]
    assert {key["priority"] for key in fields} == {facts.PRIORITY_CODES[Priority.CRITICAL]}
    assert {key["assignee_id"] for key in fields if key["grain"] == facts.BY_ASSIGNEE} == {bob.id}
    assert {key["department"] for key in fields if key["grain"] == facts.BY_DEPARTMENT} == {bob.department or ""}
    entered = [n for key, n in now_counted.items() if key[3] == facts.ENTERED]
    assert sum(entered) == 3 * 10  # creation + 9 moves, at each of the three grains
    assert not facts.contribution([other.id])


def test_a_policy_change_marks_the_facts_stale_until_rebuilt(ctx, make_user):
    admin = make_user(Role.ADMIN)
    assert facts.uncovered(TaskFilters()) is None
    sla_policy.set_targets(actor=admin, targets={"Critical": 120})
    assert "SLA targets" in facts.uncovered(TaskFilters())
    assert analytics.rebuild_if_stale() is not None
    assert facts.uncovered(TaskFilters()) is None and kept() == derived()
    sla_policy.set_calendar(actor=admin, calendar_payload={"timezone": "Europe/London"})
    assert "calendar" in facts.uncovered(TaskFilters())
    analytics.rebuild_if_stale()
    assert facts.uncovered(TaskFilters()) is None and kept() == derived()
    assert analytics.rebuild_if_stale() is None
    agent = make_user(Role.AGENT, department="Support")
    users.update_user(actor=admin, user_id=agent.id, changes={"department": "Field"})
    assert "department" in facts.uncovered(TaskFilters())
    analytics.rebuild_if_stale()
    assert facts.uncovered(TaskFilters()) is None


def test_filters_the_facts_do_not_keep_are_named():
    assert "tag" in facts.uncovered(TaskFilters(tag="vip"))
    half_past = datetime(2026, 1, 5, 0, 30, tzinfo=timezone.utc)
    assert "midnight" in facts.uncovered(TaskFilters(date_from=half_past))


@pytest.mark.parametrize("values", [[7200.0, 14400.0], [60.0] * 3 + [86400.0 * 9], [3.0, 5.0, 7.0, 1e6, 2e6, 3e7]])
@pytest.mark.parametrize("percent", [0, 50, 85, 95, 100])
def test_percentiles_from_buckets_are_within_the_stated_error(values, percent):
    histogram = Counter(_bucket(value) for value in values)
    exact = pd.Series(values).quantile(percent / 100)
    assert facts.percentile(histogram, percent) == pytest.approx(exact, rel=facts.ERROR)
    assert facts.ERROR < 0.05


def _bucket(seconds: float) -> int:
    return math.floor(math.log(max(seconds, 1.0)) / math.log(facts.GROWTH)) + 1


def test_the_sql_buckets_match_their_definition(ctx):
    from sqlalchemy import literal

    from reports.sql import log_bucket

    for seconds in (0.0, 0.5, 1.0, 59.0, 3600.0, 86400.0 * 30, 3e8):
        assert session.scalar(select(log_bucket(literal(seconds)))) == _bucket(seconds)


@pytest.fixture
def world(build, make_user, marker):
    """Histories of known shape for two agents of one department, rebuilt into the facts."""
    ada = make_user(Role.AGENT, department=f"D{marker}")
    bob = make_user(Role.AGENT, department=f"D{marker}")
    build.task([(1, IP), (3, HOLD), (13, IP), (13.5, DONE)], priority=Priority.CRITICAL, assigned_to=ada)
    build.task([(1, IP), (13.5, DONE)], priority=Priority.CRITICAL, assigned_to=bob)
    build.task([(1, IP)], priority=Priority.CRITICAL, assigned_to=ada)
    build.task([(1, IP), (10, DONE), (200, IP), (210, DONE)], priority=Priority.HIGH, assigned_to=ada)
    build.task([(50, "Cancelled")], priority=Priority.CRITICAL, assigned_to=bob)
    build.task([], created=240, priority=Priority.MEDIUM, assigned_to=ada)
    build.task([(2, HOLD), (30, IP), (31, DONE)], priority=Priority.HIGH, assigned_to=bob)
    for number in range(12):
        build.task([(2 + number, IP), (20 + 7 * number, DONE)], created=number, priority=Priority.LOW, assigned_to=ada)
    analytics.rebuild()
    return {"ada": ada, "bob": bob, "department": f"D{marker}"}


def _both(world, marker, **narrowing):
    """(filters the facts answer, the same tasks by a filter they do not keep: computed from the history)."""
    period = {"date_from": datetime(2026, 1, 4, tzinfo=timezone.utc), "date_to": datetime(2026, 2, 1, tzinfo=timezone.utc)}
    fields = {**period, **narrowing}
    covered = TaskFilters(**fields)
    assert facts.uncovered(covered) is None
    return covered, TaskFilters(tag=marker, **fields)


NARROWINGS = [
    lambda w: {"department": w["department"]},
    lambda w: {"assigned_to": w["ada"].id},
    lambda w: {"department": w["department"], "priority": Priority.CRITICAL},
]


@pytest.mark.parametrize("business_hours", [False, True], ids=["wall clock", "business hours"])
@pytest.mark.parametrize("narrowing", NARROWINGS)
def test_counts_read_from_the_facts_equal_the_history(world, marker, narrowing, business_hours, make_user):
    if business_hours:
        sla_policy.set_targets(actor=make_user(Role.ADMIN), targets={"Critical": 480}, business_hours={"Critical": True})
        analytics.rebuild_if_stale()
    covered, live = _both(world, marker, **narrowing(world))
    # At 01:00 on a Wednesday (the last working moment was Tuesday 17:00), at 12:00 on a Friday, and later.
    for now in (NOW, at(435), at(2000)):
        for function in (sla.compliance_by_priority, sla.compliance_by_week, sla.compliance_by_assignee,
                         sla.compliance_by_department):
            pd.testing.assert_frame_equal(function(filters=covered, now=now), function(filters=live, now=now),
                                          check_dtype=False, obj=f"{function.__name__} at {now}")
        assert sla.compliance(filters=covered, now=now) == sla.compliance(filters=live, now=now)
    pd.testing.assert_frame_equal(flow.weekly_throughput(filters=covered), flow.weekly_throughput(filters=live))
    pd.testing.assert_frame_equal(flow.cumulative_flow(filters=covered, now=NOW), flow.cumulative_flow(filters=live, now=NOW))
    monthly = {**vars(covered), "date_from": datetime(2025, 12, 1, tzinfo=timezone.utc)}
    pd.testing.assert_frame_equal(flow.cumulative_flow(filters=TaskFilters(**monthly), now=NOW),
                                  flow.cumulative_flow(filters=TaskFilters(**{**monthly, "tag": marker}), now=NOW))


@pytest.mark.parametrize("business_hours", [False, True], ids=["wall clock", "business hours"])
def test_open_breaches_of_the_current_hour_are_read_live_and_earlier_ones_from_the_facts(build, make_user, marker,
                                                                                      business_hours):
    """Critical tasks (target 2 h) due at 11:06, 11:30, 11:54 and 12:18 on a Monday: a breach in the current hour is
    read from the tasks, one in an earlier hour from the facts, and each is counted once."""
    sla_policy.set_targets(actor=make_user(Role.ADMIN), targets={"Critical": 120},
                           business_hours={"Critical": business_hours})
    ada = make_user(Role.AGENT)
    for created in (0.1, 0.5, 0.9, 1.3):
        build.task([(created + 0.01, IP)], created=created, priority=Priority.CRITICAL, assigned_to=ada)
    analytics.rebuild()
    covered, live = TaskFilters(assigned_to=ada.id), TaskFilters(assigned_to=ada.id, tag=marker)
    assert facts.uncovered(covered) is None
    # 11:03, 11:57, 12:00, 12:30, 18:00 (after closing time), Tuesday 15:00.
    for hours, breached in ((2.05, 0), (2.95, 3), (3.0, 3), (3.5, 4), (9, 4), (30, 4)):
        now = at(hours)
        read = sla.compliance(filters=covered, now=now)
        assert read == sla.compliance(filters=live, now=now), now
        assert (read["met"], read["breached"]) == (0, breached), now


@pytest.mark.parametrize("narrowing", NARROWINGS)
def test_durations_read_from_the_facts_are_within_the_stated_error(world, marker, narrowing):
    covered, live = _both(world, marker, **narrowing(world))
    for function, key in ((flow.transitions, ["from_status", "to_status"]), (flow.time_in_status, ["status"])):
        fast, exact = function(filters=covered), function(filters=live)
        assert fast[key].values.tolist() == exact[key].values.tolist()
        counts = "count" if "count" in fast else "stays"
        assert fast[counts].tolist() == exact[counts].tolist()
        for column in [name for name in fast.columns if name.endswith("hours") or name.endswith("source")]:
            assert fast[column].tolist() == pytest.approx(exact[column].tolist(), rel=facts.ERROR, nan_ok=True)
    fast, exact = flow.cycle_and_lead_times(filters=covered), flow.cycle_and_lead_times(filters=live)
    assert fast["tasks"] == exact["tasks"]
    for name in ("cycle_p50_hours", "cycle_p85_hours", "lead_p50_hours", "lead_p85_hours"):
        assert fast[name] == pytest.approx(exact[name], rel=facts.ERROR)


def test_what_if_reads_the_clock_buckets_and_keeps_unchanged_targets_exact(world, marker):
    covered, live = _both(world, marker, department=world["department"])
    same = sla.what_if(filters=covered, targets={}, now=NOW)
    pd.testing.assert_frame_equal(same, sla.what_if(filters=live, targets={}, now=NOW), check_dtype=False)
    # 3.5 h and 13.5 h of clock: a 10 h Critical target meets the first and breaches the second.
    tried = sla.what_if(filters=covered, targets={"Critical": 600}, now=NOW)
    exact = sla.what_if(filters=live, targets={"Critical": 600}, now=NOW)
    pd.testing.assert_frame_equal(tried, exact, check_dtype=False)


#: Workload periods (tasks created in them): none, both bounds (the tasks due today and on earlier and later days
#: created on the 20th, the older ones from the 15th), and a start alone.
PERIODS = {
    "now": {},
    "15th to 20th": {"date_from": datetime(2026, 1, 15, tzinfo=timezone.utc),
                     "date_to": datetime(2026, 1, 21, tzinfo=timezone.utc)},
    "from the 20th": {"date_from": datetime(2026, 1, 20, tzinfo=timezone.utc)},
}


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("narrowing", [*NARROWINGS, lambda w: {"department": w["department"], "priority": Priority.HIGH}])
def test_the_workload_read_from_the_facts_equals_the_open_tasks(world, build, marker, narrowing, period):
    ada, bob = world["ada"], world["bob"]
    # At 400 h 40 min: due on an earlier day, earlier today, in the hour before, earlier in this hour (read live),
    # later in this hour, later today and on a later day.
    now = NOW + timedelta(minutes=40)
    for due, priority, assignee in ((300, Priority.HIGH, ada), (395, Priority.HIGH, bob), (398, Priority.LOW, ada),
                                    (399.5, Priority.LOW, bob), (400.25, Priority.HIGH, ada), (400.9, Priority.LOW, ada),
                                    (402, Priority.HIGH, ada), (500, Priority.CRITICAL, bob), (300, Priority.LOW, None)):
        build.task([(due - 20, IP)], created=due - 30, priority=priority, assigned_to=assignee, due=due)
    build.task([(299, DONE)], created=250, priority=Priority.HIGH, assigned_to=ada, due=260)
    analytics.rebuild()
    fields = {**narrowing(world), **PERIODS[period]}
    covered, live = TaskFilters(**fields), TaskFilters(tag=marker, **fields)
    assert workload._from_facts(covered) and not workload._from_facts(live)
    for function in (workload.open_by_assignee, workload.open_by_department):
        fast, exact = function(filters=covered, now=now), function(filters=live, now=now)
        # Every case holds open tasks (no Critical one was created from the 15th to the 20th), and overdue ones
        # (no Critical one is overdue).
        critical = fields.get("priority") == Priority.CRITICAL
        assert len(exact) or (critical and period == "15th to 20th")
        assert exact["overdue"].sum() > 0 or critical
        pd.testing.assert_frame_equal(fast, exact, check_dtype=False, obj=function.__name__)
    assert workload.unassigned_queue(filters=covered, now=now) == workload.unassigned_queue(filters=live, now=now)


def test_rework_read_from_the_facts_counts_each_task_once_per_period(build, make_user, marker):
    ada, bob = make_user(Role.AGENT, department=f"D{marker}"), make_user(Role.AGENT, department=f"D{marker}")
    # Reopened on the 6th, twice on the 8th; once on the 10th (High, bob's).
    build.task([(1, IP), (10, DONE), (24, IP), (30, DONE), (72, IP), (74, DONE), (76, IP), (80, DONE)], assigned_to=ada)
    build.task([(1, IP), (20, DONE), (120, IP)], priority=Priority.HIGH, assigned_to=bob)
    # Handed back on the 6th (to ada, who held it first), on the 9th (to bob), and twice at one moment on the 9th.
    ping = build.task([(1, IP)], assigned_to=ada)
    for hours, to, holder in ((2, bob, ada), (26, ada, bob), (90, bob, ada), (100, ada, bob), (100, bob, ada)):
        build.assign(ping, hours, to, holder)
    analytics.rebuild()

    def day(number: int) -> datetime:
        return datetime(2026, 1, number, tzinfo=timezone.utc)

    periods = [{}, {"date_from": day(7)}, {"date_from": day(8), "date_to": day(9)}, {"date_to": day(8)},
               {"date_from": day(9), "date_to": day(11)}]
    narrowings = [{}, {"department": f"D{marker}"}, {"assigned_to": ada.id}, {"priority": Priority.HIGH}]
    for fields in [{**period, **narrowing} for period in periods for narrowing in narrowings]:
        covered, live = TaskFilters(**fields), TaskFilters(tag=marker, **fields)
        assert facts.uncovered(covered) is None
        assert flow.rework(filters=covered) == flow.rework(filters=live), fields
    # Both kinds happened more often than to as many tasks: each task counted once.
    assert flow.rework(filters=TaskFilters(date_from=day(7), department=f"D{marker}")) == {
        "reopens": 3, "reopened_tasks": 2, "ping_pong_reassignments": 3, "ping_pong_tasks": 1}
    assert flow.rework(filters=TaskFilters(department=f"D{marker}")) == {
        "reopens": 4, "reopened_tasks": 2, "ping_pong_reassignments": 4, "ping_pong_tasks": 1}


def test_the_facts_keep_the_period_by_utc_day(world):
    days = {row.day for row in session.scalars(select(ReportFact).where(ReportFact.assignee_id == world["ada"].id,
                                                                         ReportFact.measure != facts.CURRENT))}
    assert min(days) == date(2026, 1, 5) and all(isinstance(day, date) for day in days)
    assert max(days) <= (at(300) + timedelta(days=1)).date()


@pytest.mark.parametrize("business_hours", [False, True], ids=["wall clock", "business hours"])
def test_the_paused_tasks_at_risk_are_read_nearest_their_target_first(build, only, make_user, business_hours):
    """Paused with time left, each priority's read off its clock's index, at most `limit` each: the same list, at
    every length, as ordering every open task (ties by id)."""
    if business_hours:
        # Monday 09:00 on: every High task paused with the 8 working hours of Monday used (at risk, tied), the
        # Medium ones with 14 (at risk), 23 and 24 (past the target).
        sla_policy.set_targets(actor=make_user(Role.ADMIN), targets={"High": 10 * 60, "Medium": 18 * 60},
                               business_hours={"High": True, "Medium": True})
        analytics.rebuild_if_stale()
    # Paused (On Hold) after using this many hours of clock (New and In Progress count) on each priority.
    for priority, hours in ((Priority.HIGH, [19.5, 20, 20, 21, 10]), (Priority.MEDIUM, [60, 55, 30]),
                            (Priority.CRITICAL, [3.5]), (Priority.LOW, [10])):
        for used in hours:
            build.task([(0.5, IP), (used, HOLD)], priority=priority)
    build.task([(1, IP)], priority=Priority.CRITICAL)  # running, breached at 4 h
    now = at(300)
    assert facts.ready()
    kept = {limit: sla.watchlist(filters=only(), now=now, limit=limit) for limit in (1, 2, 3, 5, 50)}
    analytics.mark_stale("a test")
    for limit, rows in kept.items():
        pd.testing.assert_frame_equal(rows, sla.watchlist(filters=only(), now=now, limit=limit), obj=f"limit {limit}")
    assert len(kept[5]) == 5 and kept[50]["state"].tolist().count("at_risk") == 7


def test_the_watchlist_off_the_due_index_equals_the_full_ordering(build, only, make_user):
    """Running tasks by their kept due moment, paused ones as if resumed now: the same list as ordering every open task."""
    build.task([(1, IP)], priority=Priority.CRITICAL)  # breached at 5 h
    build.task([(1, IP), (20, HOLD)], priority=Priority.HIGH)  # paused with 20 h of 24 used: at risk
    build.task([(1, IP), (5, HOLD), (10, IP)], created=0, priority=Priority.LOW)  # running: breached at 173 h
    build.task([], created=230, priority=Priority.MEDIUM)  # running, at risk by 284 h
    build.task([(1, IP), (30, HOLD)], priority=Priority.HIGH)  # paused past its target: breached at 25 h
    now = at(290)
    kept = sla.watchlist(filters=only(), now=now)
    analytics.mark_stale("a test")
    assert not facts.ready()
    pd.testing.assert_frame_equal(kept, sla.watchlist(filters=only(), now=now))
    assert kept["state"].tolist() == ["breached"] * 3 + ["at_risk"] * 2
