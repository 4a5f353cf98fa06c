"""SLA metrics on hand-built histories: pauses, reopen loops, open tasks past target, cancellations, filters."""
from datetime import date

import pandas as pd
import pytest

from db.models import Priority, Role
from domain.filters import UNASSIGNED, TaskFilters
from reports import drill, policy, sla
from tests.reports.conftest import at
from workflow import sla as sla_policy

IP, HOLD, DONE = "In Progress", "On Hold", "Completed"
NOW = at(300)


@pytest.fixture
def world(build, make_user):
    """Known SLA outcomes (targets: Critical 4 h, High 24 h, Medium 72 h, Low 168 h)."""
    support, field = make_user(Role.AGENT, department="Support"), make_user(Role.AGENT, department="Field")
    tasks = {
        # 1 h New + 2 h In Progress + (10 h On Hold: paused) + 0.5 h In Progress = 3.5 h of 4: met at 13.5 h.
        "paused": build.task([(1, IP), (3, HOLD), (13, IP), (13.5, DONE)], priority=Priority.CRITICAL, assigned_to=support),
        # The same without the pause: 13.5 h of 4, breached at completion.
        "late": build.task([(1, IP), (13.5, DONE)], priority=Priority.CRITICAL, assigned_to=field, tags=["vip"]),
        # Still in progress at 300 h: breached when its clock passed 4 h.
        "open_late": build.task([(1, IP)], priority=Priority.CRITICAL),
        # Reopen loop: 10 h, completed, reopened at 200 h, 10 h more: 20 h of 24, met at its last completion.
        "reopened": build.task([(1, IP), (10, DONE), (200, IP), (210, DONE)], priority=Priority.HIGH, assigned_to=support),
        # Cancelled: its SLA is cancelled, even though 50 h passed.
        "cancelled": build.task([(50, "Cancelled")], priority=Priority.CRITICAL),
        # 60 h of 72 used: at risk, 12 h left.
        "at_risk": build.task([], created=240, priority=Priority.MEDIUM, assigned_to=support),
        # 10 h of 168: on track.
        "fresh": build.task([], created=290, priority=Priority.LOW),
        # On Hold since 2 h: 2 h of 24, on track.
        "held": build.task([(2, HOLD)], priority=Priority.HIGH),
    }
    return {"support": support, "field": field, **tasks}


def test_compliance_counts_met_and_breached_with_pauses_reopens_and_open_tasks(world, only):
    assert sla.compliance(filters=only(), now=NOW) == {"met": 2, "breached": 2, "compliance_pct": 50.0}


def test_compliance_by_priority_lists_every_priority_and_all(world, only):
    rows = sla.compliance_by_priority(filters=only(), now=NOW).to_dict("records")
    assert [(r["priority"], r["met"], r["breached"]) for r in rows] == [
        ("Low", 0, 0), ("Medium", 0, 0), ("High", 1, 0), ("Critical", 1, 2), ("All", 2, 2),
    ]
    assert [r["target_minutes"] for r in rows][:4] == [10080, 4320, 1440, 240]
    assert [r["compliance_pct"] for r in rows][2:] == [100.0, 33.3, 50.0]
    assert all(r["compliance_pct"] != r["compliance_pct"] for r in rows[:2])  # NaN: nothing settled


def test_compliance_by_assignee_and_department(world, only):
    by_assignee = sla.compliance_by_assignee(filters=only(), now=NOW)
    found = {r["assigned_to"]: (r["met"], r["breached"]) for r in by_assignee.to_dict("records")}
    assert found == {world["support"].id: (2, 0), world["field"].id: (0, 1), None: (0, 1)}
    assert list(by_assignee["assigned_to"])[-1] is None  # the unassigned row last on both databases
    by_department = sla.compliance_by_department(filters=only(), now=NOW).to_dict("records")
    # pandas 3 shows a missing text as NaN: the unassigned tasks' row, last.
    assert [(r["department"], r["met"], r["breached"], r["compliance_pct"]) for r in by_department][:2] == [
        ("Field", 0, 1, 0.0), ("Support", 2, 0, 100.0),
    ]
    assert pd.isna(by_department[2]["department"]) and (by_department[2]["met"], by_department[2]["breached"]) == (0, 1)


def test_weekly_compliance_counts_completions_and_breach_moments(world, only):
    rows = sla.compliance_by_week(filters=only(), now=NOW).to_dict("records")
    # Week of 5 Jan: paused (met), late (breached), open_late (breached at 4 h). Week of 12 Jan: reopened (met at 210 h).
    assert [(r["week"], r["met"], r["breached"]) for r in rows] == [("2026-01-05", 1, 2), ("2026-01-12", 1, 0)]


def test_date_range_selects_by_the_moment_the_outcome_was_settled(world, only):
    assert sla.compliance(filters=only(date_from=at(100)), now=NOW) == {"met": 1, "breached": 0, "compliance_pct": 100.0}
    # open_late breached at 4 h, before the completions at 13.5 h.
    assert sla.compliance(filters=only(date_to=at(5)), now=NOW)["breached"] == 1
    assert sla.compliance(filters=only(date_from=at(400)), now=NOW) == {"met": 0, "breached": 0, "compliance_pct": None}


def test_task_filters(world, only):
    assert sla.compliance(filters=only(priority=Priority.HIGH), now=NOW)["met"] == 1
    assert sla.compliance(filters=only(assigned_to=world["field"].id), now=NOW)["breached"] == 1
    assert sla.compliance(filters=only(assigned_to=UNASSIGNED), now=NOW) == {"met": 0, "breached": 1, "compliance_pct": 0.0}
    assert sla.compliance(filters=only(department="Support"), now=NOW) == {"met": 2, "breached": 0, "compliance_pct": 100.0}
    assert sla.compliance(filters=TaskFilters(tag="vip"), now=NOW) == {"met": 0, "breached": 1, "compliance_pct": 0.0}


def test_watchlist_lists_breached_then_at_risk_open_tasks_with_time_left(world, only):
    rows = sla.watchlist(filters=only(), now=NOW).to_dict("records")
    assert [(r["task_id"], r["state"], r["priority"]) for r in rows] == [
        (world["open_late"].id, "breached", "Critical"), (world["at_risk"].id, "at_risk", "Medium"),
    ]
    assert [r["time_left_hours"] for r in rows] == pytest.approx([4 - 300, 12])
    assert len(sla.watchlist(filters=only(), now=NOW, limit=1)) == 1
    # The date range picks open tasks by creation.
    assert [r["task_id"] for r in sla.watchlist(filters=only(date_from=at(100)), now=NOW).to_dict("records")] == [world["at_risk"].id]


def test_boundaries_exactly_at_target_is_met_and_exactly_75_percent_is_at_risk(build, only):
    build.task([(1, IP), (4, DONE)], priority=Priority.CRITICAL)
    at_three_quarters = build.task([], created=97, priority=Priority.CRITICAL)
    assert sla.compliance(filters=only(), now=at(100)) == {"met": 1, "breached": 0, "compliance_pct": 100.0}
    assert list(sla.watchlist(filters=only(), now=at(100))["task_id"]) == [at_three_quarters.id]


def test_a_restored_task_has_no_clock_while_cancelled(build, only):
    # 1 h New, Cancelled for 49 h, restored to New, 1 h, In Progress 1 h, Completed: 3 h of 4.
    build.task([(1, "Cancelled"), (50, "New"), (51, IP), (52, DONE)], priority=Priority.CRITICAL)
    assert sla.compliance(filters=only(), now=at(100))["met"] == 1


def test_targets_come_from_the_database(world, only, make_user):
    sla_policy.set_targets(actor=make_user(Role.ADMIN), targets={Priority.CRITICAL: 14 * 60})
    assert sla.compliance(filters=only(), now=NOW) == {"met": 3, "breached": 1, "compliance_pct": 75.0}


def test_what_if_compares_other_targets_and_changes_nothing(world, only):
    rows = sla.what_if(filters=only(), targets={"Critical": 14 * 60}, now=NOW).set_index("priority")
    assert (rows.loc["Critical", "met"], rows.loc["Critical", "breached"]) == (1, 2)
    assert (rows.loc["Critical", "met_what_if"], rows.loc["Critical", "breached_what_if"]) == (2, 1)
    assert rows.loc["Critical", "target_minutes_what_if"] == 840 and rows.loc["High", "target_minutes_what_if"] == 1440
    assert (rows.loc["All", "compliance_pct"], rows.loc["All", "compliance_pct_what_if"]) == (50.0, 75.0)
    assert policy.get_targets()[Priority.CRITICAL] == 240


def test_drill_through_lists_the_tasks_behind_each_sla_number(world, only):
    def ids(**kwargs):
        return set(drill.sla_tasks(now=NOW, **kwargs).page())

    assert ids(filters=only(), outcome="met") == {world["paused"].id, world["reopened"].id}
    assert ids(filters=only(), outcome="breached") == {world["late"].id, world["open_late"].id}
    assert ids(filters=only(), outcome="at_risk") == {world["at_risk"].id}
    week = drill.narrowed(only(), week=date(2026, 1, 12))
    assert ids(filters=week, outcome="met") == {world["reopened"].id}
    critical = drill.narrowed(only(), priority=Priority.CRITICAL)
    assert ids(filters=critical, outcome="breached") == {world["late"].id, world["open_late"].id}
    assert len(drill.sla_tasks(filters=only(), outcome="breached", now=NOW).page(1)) == 1
    with pytest.raises(ValueError):
        drill.sla_tasks(filters=only(), outcome="late", now=NOW).page()


def test_the_watchlist_by_breach_chance_puts_the_likeliest_first(build, only):
    # Completed High tasks all ran past 24 h; of the Critical ones that ran past 3.05 h, one in three went past 4 h.
    for clock in (30, 40):
        build.task([(0.1, IP), (clock, DONE)], priority=Priority.HIGH)
    for clock in (3.6, 3.8, 8):
        build.task([(0.1, IP), (clock, DONE)], priority=Priority.CRITICAL)
    breached = build.task([], created=0, priority=Priority.MEDIUM)  # 100 h of 72
    likely = build.task([], created=81, priority=Priority.HIGH)  # 19 h of 24: 5 h left
    unlikely = build.task([], created=96.95, priority=Priority.CRITICAL)  # 3.05 h of 4: 57 min left
    now = at(100)
    by_urgency = sla.watchlist(filters=only(), now=now)
    assert list(by_urgency["task_id"]) == [breached.id, unlikely.id, likely.id]
    by_chance = sla.watchlist(filters=only(), now=now, order=sla.CHANCE)
    assert list(by_chance["task_id"]) == [breached.id, likely.id, unlikely.id]
    assert list(by_chance["breach_probability"]) == pytest.approx([1.0, 1.0, 1 / 3])
    assert list(sla.watchlist(filters=only(), now=now, order=sla.CHANCE, limit=2)["task_id"]) == [breached.id, likely.id]
    with pytest.raises(ValueError):
        sla.watchlist(filters=only(), now=now, order="alphabetical")
