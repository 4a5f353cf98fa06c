"""Status flow: transitions, rework loops, time in status, cycle and lead time, throughput, cumulative flow, aging WIP."""
from datetime import date

import pytest

from db.models import Role
from domain.filters import TaskFilters
from reports import drill, flow
from tests.reports.conftest import at

IP, HOLD, DONE = "In Progress", "On Hold", "Completed"


@pytest.fixture
def world(build, make_user):
    ada, bob = make_user(Role.AGENT), make_user(Role.AGENT)
    world = {
        "straight": build.task([(2, IP), (4, HOLD), (10, IP), (12, DONE)], assigned_to=ada),
        "reopened": build.task([(1, IP), (5, DONE), (20, IP), (26, DONE)], assigned_to=ada, tags=["vip"]),
        "working": build.task([(8, IP)], created=5),
        "cancelled": build.task([(3, "Cancelled")]),
    }
    # Ping-pong: ada, then bob, then back to ada.
    build.assign(world["straight"], 3, bob, ada)
    build.assign(world["straight"], 6, ada, bob)
    # Taken, handed back, taken again by the same person: also back to someone who held it.
    build.assign(world["working"], 6, ada)
    build.assign(world["working"], 7, None, ada)
    build.assign(world["working"], 9, ada)
    # A plain hand-over is not rework.
    build.assign(world["reopened"], 2, bob, ada)
    return world


def test_transitions_count_and_median_time_in_the_source_status(world, only):
    rows = flow.transitions(filters=only())
    found = {(r["from_status"], r["to_status"]): (r["count"], r["median_hours_in_source"]) for r in rows.to_dict("records")}
    assert found == {
        ("New", IP): (3, 2.0), (IP, HOLD): (1, 2.0), (HOLD, IP): (1, 6.0), (IP, DONE): (3, 4.0),
        (DONE, IP): (1, 15.0), ("New", "Cancelled"): (1, 3.0),
    }
    later = flow.transitions(filters=only(date_from=at(15)))
    assert {(r["from_status"], r["to_status"], r["count"]) for r in later.to_dict("records")} == {(IP, DONE, 1), (DONE, IP, 1)}


def test_transition_matrix_shows_every_status(world, only):
    matrix = flow.transition_matrix(filters=only())
    assert list(matrix.index) == list(matrix.columns) == ["New", IP, HOLD, DONE, "Cancelled"]
    assert matrix.loc["New", IP] == 3 and matrix.loc[IP, DONE] == 3 and matrix.loc[DONE, IP] == 1
    assert int(matrix.to_numpy().sum()) == 10


def test_rework_counts_reopens_and_ping_pong_reassignments(world, only):
    assert flow.rework(filters=only()) == {
        "reopens": 1, "reopened_tasks": 1, "ping_pong_reassignments": 2, "ping_pong_tasks": 2,
    }
    assert flow.rework(filters=only(date_from=at(8))) == {
        "reopens": 1, "reopened_tasks": 1, "ping_pong_reassignments": 1, "ping_pong_tasks": 1,
    }
    assert flow.rework(filters=TaskFilters(tag="vip")) == {
        "reopens": 1, "reopened_tasks": 1, "ping_pong_reassignments": 0, "ping_pong_tasks": 0,
    }


def test_rework_of_one_assignees_tasks_counts_each_kind_only_for_them(world, only):
    # Held now: "straight" and "working" by ada (both handed back), "reopened" by bob.
    ada, bob = world["straight"].assigned_to, world["reopened"].assigned_to
    assert flow.rework(filters=only(assigned_to=ada)) == {
        "reopens": 0, "reopened_tasks": 0, "ping_pong_reassignments": 2, "ping_pong_tasks": 2,
    }
    assert flow.rework(filters=only(assigned_to=bob)) == {
        "reopens": 1, "reopened_tasks": 1, "ping_pong_reassignments": 0, "ping_pong_tasks": 0,
    }


def test_time_in_status_median_and_p85_over_finished_stays(world, only):
    rows = flow.time_in_status(filters=only()).to_dict("records")
    assert [r["status"] for r in rows] == ["New", IP, HOLD, DONE]
    found = {r["status"]: (r["stays"], r["median_hours"], r["p85_hours"]) for r in rows}
    # New: 2, 1, 3, 3 h. In Progress: 2, 2, 4, 6 h (interpolated like percentile_cont).
    assert found["New"] == (4, pytest.approx(2.5), pytest.approx(3.0))
    assert found[IP] == (4, pytest.approx(3.0), pytest.approx(5.1))
    assert found[HOLD] == (1, pytest.approx(6.0), pytest.approx(6.0))
    assert found[DONE] == (1, pytest.approx(15.0), pytest.approx(15.0))


def test_cycle_and_lead_time_points_and_percentiles_over_all(world, only):
    result = flow.cycle_and_lead_times(filters=only(), limit=1)
    assert result["tasks"] == 2
    # Cycle: 10 h and 25 h; lead: 12 h and 26 h. The points keep only the most recent task.
    assert result["cycle_p50_hours"] == pytest.approx(17.5) and result["cycle_p85_hours"] == pytest.approx(22.75)
    assert result["lead_p50_hours"] == pytest.approx(19.0) and result["lead_p85_hours"] == pytest.approx(23.9)
    [point] = result["points"].to_dict("records")
    assert point["task_id"] == world["reopened"].id and point["completed_at"] == at(26)
    assert (point["cycle_hours"], point["lead_hours"]) == (pytest.approx(25.0), pytest.approx(26.0))
    empty = flow.cycle_and_lead_times(filters=only(date_from=at(1000)))
    assert empty["tasks"] == 0 and empty["cycle_p50_hours"] is None and empty["points"].empty


def test_weekly_throughput_fills_empty_weeks(world, only):
    # 5 Jan to the midnight that starts 26 Jan: three weeks.
    rows = flow.weekly_throughput(filters=only(date_from=at(0), date_to=at(24 * 21 - 9)))
    assert [(r["week"], r["completed"]) for r in rows.to_dict("records")] == [
        (date(2026, 1, 5), 2), (date(2026, 1, 12), 0), (date(2026, 1, 19), 0),
    ]
    assert [(r["week"], r["completed"]) for r in flow.weekly_throughput(filters=only()).to_dict("records")] == [
        (date(2026, 1, 5), 2),
    ]
    assert flow.weekly_throughput(filters=only(date_from=at(1000))).empty


def test_cumulative_flow_counts_each_status_at_the_end_of_each_day(world, only):
    rows = flow.cumulative_flow(filters=only(date_from=at(-24), date_to=at(48)), now=at(48))
    per_day = {}
    for row in rows.to_dict("records"):
        per_day.setdefault(row["day"], {})[row["status"]] = row["tasks"]
    # T0 is 09:00 on 5 Jan: the end of 5 Jan is 15 h, the end of 6 Jan is 39 h.
    assert list(per_day) == [date(2026, 1, 4), date(2026, 1, 5), date(2026, 1, 6), date(2026, 1, 7)]
    assert per_day[date(2026, 1, 4)] == {"New": 0, IP: 0, HOLD: 0, DONE: 0, "Cancelled": 0}
    assert per_day[date(2026, 1, 5)] == {"New": 0, IP: 1, HOLD: 0, DONE: 2, "Cancelled": 1}
    assert per_day[date(2026, 1, 6)] == {"New": 0, IP: 1, HOLD: 0, DONE: 2, "Cancelled": 1}
    assert drill.status_on_day_tasks(filters=only(), day=date(2026, 1, 5), status=DONE).page() == [
        world["straight"].id, world["reopened"].id,
    ]


def test_cumulative_flow_keeps_long_ranges_to_a_bounded_number_of_points(world, only):
    rows = flow.cumulative_flow(filters=only(date_from=at(0), date_to=at(24 * 3 * 365)), now=at(48))
    days = sorted(set(rows["day"]))
    assert len(days) <= flow.MAX_FLOW_POINTS and (days[1] - days[0]).days == 3


def test_aging_wip_against_the_p85_cycle_time(world, build, only):
    fresh = build.task([], created=40)
    result = flow.aging_wip(filters=only(), now=at(48))
    assert result["cycle_p85_hours"] == pytest.approx(22.75)
    rows = result["points"].to_dict("records")
    assert [(r["task_id"], r["status"], r["age_hours"], r["hours_in_status"], r["over_p85"]) for r in rows] == [
        (world["working"].id, IP, pytest.approx(40.0), pytest.approx(40.0), True),
        (fresh.id, "New", pytest.approx(8.0), pytest.approx(8.0), False),
    ]


def test_drill_into_transitions_and_completions(world, only):
    assert drill.transition_tasks(filters=only(), from_status="New", to_status=IP).page() == [
        world["straight"].id, world["reopened"].id, world["working"].id,
    ]
    assert drill.transition_tasks(filters=only(), from_status=DONE, to_status=IP).page() == [world["reopened"].id]
    week = drill.narrowed(only(), week=date(2026, 1, 5))
    assert drill.completed_tasks(filters=week).page() == [world["straight"].id, world["reopened"].id]
    assert drill.completed_tasks(filters=drill.narrowed(only(), week=date(2026, 1, 12))).page() == []


def test_a_drill_through_counts_all_its_tasks_and_pages_through_them_in_order(build, only):
    made = sorted(build.task([(1, IP), (2 + number, DONE)]).id for number in range(7))
    completed = drill.completed_tasks(filters=only())
    assert completed.total() == 7
    first = completed.page(3)
    second = completed.page(3, after=first[-1])
    last = completed.page(3, after=second[-1])
    assert first + second + last == made and len(last) == 1
    assert completed.page(3, after=last[-1]) == []


def test_drill_into_rework_and_time_in_status(world, only):
    reopened = drill.reworked_tasks(filters=only(), kind="reopened")
    assert reopened.page() == [world["reopened"].id] and reopened.total() == 1
    handed_back = drill.reworked_tasks(filters=only(), kind="handed_back")
    assert handed_back.page() == sorted([world["straight"].id, world["working"].id]) and handed_back.total() == 2
    assert drill.reworked_tasks(filters=only(date_from=at(8)), kind="handed_back").total() == 1
    # Stays that ended: New left by all four tasks, On Hold only by the straight one; the working task is still In Progress.
    assert drill.left_status_tasks(filters=only(), status="New").total() == 4
    assert drill.left_status_tasks(filters=only(), status=HOLD).page() == [world["straight"].id]
    assert drill.left_status_tasks(filters=only(), status=IP).total() == 2
    with pytest.raises(KeyError):
        drill.reworked_tasks(filters=only(), kind="anything")
