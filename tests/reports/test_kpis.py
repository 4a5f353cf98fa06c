"""The analytics page's headline figures on a hand-built history with a known answer, from the facts and from the history."""
from datetime import timedelta

import pytest

from db.models import Priority, Role
from domain.filters import TaskFilters
from reports import kpis
from reports.facts import ERROR, day_start
from tests.reports.conftest import T0, at
from workflow import analytics

IP, DONE = "In Progress", "Completed"
HIGH = Priority.HIGH  # a 24-hour target on the wall clock


def test_each_figure_beside_the_week_before(build, make_user, marker):
    ada = make_user(Role.AGENT)

    def done(created, started, finished):
        build.task([(started, IP), (finished, DONE)], created=created, priority=HIGH, assigned_to=ada)

    # The week before (days 0-6 after T0, a Monday): one met, one breached at completion, and one
    # still open whose target passed on day 6.
    done(0, 1, 10)
    done(2, 3, 50)
    build.task([], created=24 * 5, priority=HIGH, assigned_to=ada)
    # The week (days 7-13): two met (cycle 4 h and 2 h), one breached (cycle 39 h), and one open task
    # 19 hours into its 24 (at risk) when the figures are read on day 13 at noon.
    done(24 * 7 + 1, 24 * 7 + 2, 24 * 7 + 6)
    done(24 * 8, 24 * 8 + 1, 24 * 8 + 3)
    done(24 * 8, 24 * 8 + 1, 24 * 8 + 40)
    build.task([], created=24 * 13 - 16, priority=HIGH, assigned_to=ada)
    analytics.rebuild()
    now = at(24 * 13 + 3)
    week = day_start(T0.date() + timedelta(days=7))
    results = [kpis.kpis(filters=TaskFilters(assigned_to=ada.id, date_from=week, date_to=week + timedelta(days=7)),
                         now=now),
               kpis.kpis(filters=TaskFilters(tag=marker, date_from=week, date_to=week + timedelta(days=7)), now=now)]
    for result in results:
        assert result["period"] == {"date_from": week, "date_to": week + timedelta(days=7),
                                    "previous_from": week - timedelta(days=7)}
        assert result["compliance_pct"]["value"] == 66.7  # rounded to a tenth, as sla.compliance gives it
        assert result["compliance_pct"]["previous"] == 33.3
        assert result["breached"] == {"value": 1, "previous": 2}
        assert result["completed"] == {"value": 3, "previous": 2}
        assert result["cycle_p50_hours"]["value"] == pytest.approx(4, rel=ERROR)
        assert 9 * (1 - ERROR) <= result["cycle_p50_hours"]["previous"] <= 47 * (1 + ERROR)
        assert result["open"] == {"value": 2, "previous": 1}
        assert result["at_risk"] == {"value": 1, "previous": None}


def test_without_a_date_range_the_last_seven_days(build, make_user):
    ada = make_user(Role.AGENT)
    build.task([(1, IP), (5, DONE)], created=0, priority=HIGH, assigned_to=ada)
    analytics.rebuild()
    now = at(24 * 3)
    result = kpis.kpis(filters=TaskFilters(assigned_to=ada.id), now=now)
    tomorrow = day_start(now.date() + timedelta(days=1))
    assert result["period"] == {"date_from": tomorrow - timedelta(days=7), "date_to": tomorrow,
                                "previous_from": tomorrow - timedelta(days=14)}
    assert result["completed"] == {"value": 1, "previous": 0}
    assert result["compliance_pct"] == {"value": 100.0, "previous": None}
    assert result["open"] == {"value": 0, "previous": 0}
