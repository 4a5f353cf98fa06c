"""SLA clocks of business-hours targets count only the calendar's working time (Mon-Fri 09:00-17:00 UTC here).

T0 is Monday 2026-01-05 09:00 UTC; Friday 2026-01-09 15:00 is at(102), Monday 2026-01-12 09:00 is at(168).
"""
from datetime import date

import pytest
from sqlalchemy import select

from db import session
from db.models import Priority, Role, Task, TaskStatusInterval
from db.status_intervals import rebuild
from domain import calendar
from reports import policy, sla
from reports.sql import frame
from tests.reports.conftest import at
from workflow import analytics
from workflow import sla as sla_policy

IP, HOLD, DONE = "In Progress", "On Hold", "Completed"
HOUR = 3600.0


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN)


@pytest.fixture
def business_high(ctx, admin):
    """High: 4 h of business hours, on a Monday-to-Friday 09:00-17:00 UTC calendar without holidays."""
    sla_policy.set_calendar(actor=admin, calendar_payload={
        "timezone": "UTC", "holidays": [],
        "hours": {day: {"start": "09:00", "end": "17:00"} for day in calendar.WEEKDAYS[:5]}
        | {"Saturday": None, "Sunday": None},
    })
    sla_policy.set_targets(actor=admin, targets={"High": {"minutes": 240, "business_hours": True}, "Critical": 240})


def outcomes(only, now):
    table = sla.task_outcomes(only(), policy.get_targets(), now)
    rows = frame(select(table.c.task_id, table.c.clock_s, table.c.outcome, table.c.decided_s))
    return {row["task_id"]: (row["clock_s"] / HOUR, row["outcome"], row["decided_s"]) for row in rows.to_dict("records")}


def test_the_clock_stops_outside_working_hours_and_at_the_weekend(business_high, build, only):
    friday = build.task([], created=102, priority=Priority.HIGH)
    # Fri 15-17 and Mon 09-10: 3 h of 4 used, at risk; the wall clock would say 67 h.
    assert outcomes(only, at(169))[friday.id][:2] == (3.0, sla.AT_RISK)
    # By Monday 12:00 it has used 5 h: breached when the fourth working hour ended, Monday 11:00.
    clock, outcome, decided = outcomes(only, at(171))[friday.id]
    assert (clock, outcome, decided) == (5.0, sla.BREACHED, at(170).timestamp())


def test_the_other_priorities_keep_the_wall_clock(business_high, build, only):
    critical = build.task([], created=102, priority=Priority.CRITICAL)
    clock, outcome, decided = outcomes(only, at(169))[critical.id]
    assert (clock, outcome, decided) == (67.0, sla.BREACHED, at(106).timestamp())


def test_pauses_and_an_earlier_crossing_on_working_time(business_high, build, only):
    # Mon 09-11 running, On Hold 11-14, running 14-16, done: 4 h of 4, met.
    met = build.task([(1, IP), (2, HOLD), (5, IP), (7, DONE)], priority=Priority.HIGH)
    # Created Mon 16:00; 1 h on Monday, Tuesday 09-13 running, then On Hold: 5 h, crossed Tuesday 12:00.
    held = build.task([(28, HOLD)], created=7, priority=Priority.HIGH)
    # Created Tuesday 09:00, On Hold Wednesday 14:00: 13 h, crossed Tuesday 13:00 (each task its own moment).
    later = build.task([(53, HOLD)], created=24, priority=Priority.HIGH)
    found = outcomes(only, at(300))
    assert found[met.id][:2] == (4.0, sla.MET)
    assert found[held.id] == (5.0, sla.BREACHED, at(27).timestamp())
    assert found[later.id] == (13.0, sla.BREACHED, at(28).timestamp())
    weeks = sla.compliance_by_week(filters=only(), now=at(300)).set_index("week")
    assert (weeks.loc["2026-01-05", "met"], weeks.loc["2026-01-05", "breached"]) == (1, 2)


def test_a_new_holiday_re_derives_every_clock(business_high, build, only, admin):
    friday = build.task([], created=102, priority=Priority.HIGH)
    assert outcomes(only, at(171))[friday.id][:2] == (5.0, sla.BREACHED)
    sla_policy.set_calendar(actor=admin, calendar_payload={"holidays": [{"date": "2026-01-12", "name": "Closed"}]})
    analytics.rebuild_if_stale()
    # Monday is a holiday now: only Friday's 2 h count by Monday noon; Tuesday 11:00 it is at 4 h.
    assert outcomes(only, at(171))[friday.id][:2] == (2.0, sla.ON_TRACK)
    assert outcomes(only, at(195))[friday.id][:2] == (5.0, sla.BREACHED)
    assert outcomes(only, at(195))[friday.id][2] == at(194).timestamp()


def test_a_calendar_change_is_re_derived_by_the_background_job(business_high, build, only, admin):
    from db import session
    from domain.filters import TaskFilters
    from reports import facts
    from workflow import analytics

    tuesday = build.task([], created=30, priority=Priority.HIGH)  # Tuesday 15:00: 8 + 6 working hours in
    session.commit()
    session.refresh(tuesday)
    kept = tuesday.status_since_w
    sla_policy.set_calendar(actor=admin, calendar_payload={"holidays": [{"date": "2026-01-05", "name": "Closed"}]})
    # Saved at once; the clocks follow in the background, and the figures say so meanwhile.
    assert "calendar changed" in facts.uncovered(TaskFilters())
    session.refresh(tuesday)
    assert tuesday.status_since_w == kept
    analytics.rebuild_if_stale()
    session.refresh(tuesday)
    assert tuesday.status_since_w == pytest.approx(kept - 8 * 3600)
    assert facts.uncovered(TaskFilters()) is None
    # Its clock does not change (the holiday is before it): 2 h on Tuesday, 1 h on Wednesday by 10:00.
    assert outcomes(only, at(49))[tuesday.id][:2] == (3.0, sla.AT_RISK)


def test_working_columns_kept_by_the_workflow_equal_the_derived_ones(business_high, admin):
    from workflow import tasks

    task = tasks.create_task(actor=admin, title="working time", priority=Priority.HIGH)
    tasks.change_status(actor=admin, task_id=task.id, status=tasks.TaskStatus.IN_PROGRESS)
    tasks.change_status(actor=admin, task_id=task.id, status=tasks.TaskStatus.ON_HOLD)

    def stored():
        session.expire_all()
        rows = session.execute(
            select(TaskStatusInterval.started_w, TaskStatusInterval.ended_w, TaskStatusInterval.work_clock_before_s)
            .where(TaskStatusInterval.task_id == task.id).order_by(TaskStatusInterval.step)
        ).all()
        columns = session.execute(select(Task.status_since_w, Task.sla_work_clock_s).where(Task.id == task.id)).one()
        return [value for row in rows for value in row], list(columns)

    kept = stored()
    rebuild(session.connection(), [task.id])
    # SQLite derives moments to the millisecond (julianday), the workflow to the microsecond.
    derived = stored()
    for mine, theirs in zip(kept, derived):
        assert [None if v is None else pytest.approx(v, abs=2e-3) for v in mine] == theirs
    # And the coordinates are the calendar's own.
    interval_start = session.scalar(select(TaskStatusInterval.started_at).where(
        TaskStatusInterval.task_id == task.id, TaskStatusInterval.step == 1))
    assert kept[0][0] == pytest.approx(calendar.working_coordinate(policy.get_calendar(), interval_start), abs=1e-3)


def test_spans_cover_the_years_reports_need(ctx):
    spans = calendar.working_spans(calendar.DEFAULT_CALENDAR)
    first, last = spans[0], spans[-1]
    assert date.fromtimestamp(first[0]).year == 2000 and first[2] == 0.0
    assert date.fromtimestamp(last[0]).year == 2099
    assert all(a[2] < b[2] for a, b in zip(spans, spans[1:]))
