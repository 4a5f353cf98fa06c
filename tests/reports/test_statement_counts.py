"""Every metric is a bounded number of SQL statements, whatever the data: the work is done in the database."""
from datetime import date

import pytest

from reports import drill, flow, sla, workload
from tests.reports.conftest import at

NOW = at(300)

#: (function, keyword arguments, most statements: the SLA ones also read the targets).

def _first_page(selection):
    """A drill-through selection as a function returning its first page of ids (what the portal reads first)."""
    def first_page(**kwargs):
        return selection(**kwargs).page()

    first_page.__name__ = selection.__name__
    return first_page


SLA_IDS, OPEN_IDS = _first_page(drill.sla_tasks), _first_page(drill.open_tasks)

METRICS = [
    (sla.compliance, {}, 2),
    (sla.compliance_by_priority, {}, 2),
    (sla.compliance_by_assignee, {}, 2),
    (sla.compliance_by_department, {}, 2),
    (sla.compliance_by_week, {}, 2),
    (sla.watchlist, {}, 5),  # the targets, the facts state, two index-ordered reads (the paused ones' ids first)
    (sla.what_if, {"targets": {"Critical": 60}}, 3),
    (workload.open_by_assignee, {}, 1),
    (workload.open_by_department, {}, 1),
    (workload.unassigned_queue, {}, 1),
    (flow.transitions, {}, 1),
    (flow.transition_matrix, {}, 1),
    (flow.rework, {}, 1),
    (flow.time_in_status, {}, 1),
    (flow.cycle_and_lead_times, {}, 3),
    (flow.weekly_throughput, {}, 1),
    (flow.cumulative_flow, {"now": NOW}, 1),
    (flow.aging_wip, {"now": NOW}, 2),
    (SLA_IDS, {"outcome": "breached"}, 2),
    (SLA_IDS, {"outcome": "at_risk"}, 2),
    (_first_page(drill.transition_tasks), {"from_status": "New", "to_status": "In Progress"}, 1),
    (OPEN_IDS, {}, 1),
    (_first_page(drill.completed_tasks), {}, 1),
    (_first_page(drill.status_on_day_tasks), {"day": date(2026, 1, 5), "status": "New"}, 1),
]
TAKES_NOW = {sla.compliance, sla.compliance_by_priority, sla.compliance_by_assignee, sla.compliance_by_department,
             sla.compliance_by_week, sla.watchlist, sla.what_if, workload.open_by_assignee, workload.open_by_department,
             workload.unassigned_queue, SLA_IDS, OPEN_IDS}


@pytest.mark.parametrize("tasks", [1, 12])
@pytest.mark.parametrize("function, kwargs, most", METRICS, ids=lambda value: getattr(value, "__name__", ""))
def test_statements_do_not_grow_with_the_tasks(build, only, count_statements, function, kwargs, most, tasks):
    for number in range(tasks):
        build.task([(1, "In Progress"), (3 + number, "Completed")] if number % 2 else [(2, "On Hold")])
    if function in TAKES_NOW:
        kwargs = {"now": NOW, **kwargs}
    assert count_statements(function, filters=only(), **kwargs) <= most
