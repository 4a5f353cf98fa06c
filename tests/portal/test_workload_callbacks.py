"""The workload page's unassigned queue: its oldest task's creation on the reader's clock, in the portal's one format."""
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from dash import html

from db.models import Role
from domain.filters import TaskFilters
from portal.components import times
from reports import workload as reports_workload


@pytest.fixture
def workload(app):
    """The page module, imported once Dash (made by the app) may register pages."""
    from portal.pages import workload

    return workload


def _times(component) -> list:
    """Every html.Time under `component`."""
    found = [component] if isinstance(component, html.Time) else []
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str):
            found += _times(child)
    return found


def test_the_oldest_unassigned_task_is_on_the_readers_clock(workload):
    reader = SimpleNamespace(time_zone="America/New_York")
    oldest = datetime(2026, 3, 8, 12, 0, tzinfo=timezone.utc)
    queue = {"open": 1, "overdue": 0, "Low": 1, "Medium": 0, "High": 0, "Critical": 0, "oldest_created_at": oldest}
    summary = workload.unassigned_summary(queue, reader)
    [shown] = _times(summary)
    assert shown.children == times.moment(oldest, reader) and shown.children.endswith(" 08:00")
    assert shown.title.endswith("New York time") and "UTC" not in str(summary)


def test_the_queue_from_the_database_reads_the_same(workload, ctx, make_user, make_task):
    manager = make_user(Role.MANAGER)
    make_task(manager, title="Nobody's yet")
    queue = reports_workload.unassigned_queue(filters=TaskFilters())
    assert queue["oldest_created_at"].tzinfo is not None  # stored UTC, read back aware
    [shown] = _times(workload.unassigned_summary(queue, manager))
    assert shown.children == times.moment(queue["oldest_created_at"], manager)
