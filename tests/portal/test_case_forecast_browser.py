"""The case page's forecast in a real browser: the dates in sentences, the trials' histogram, the weeks sampled."""
from datetime import timedelta

import pytest

from sqlalchemy import select

from db import session
from db.models import Role, Task, TaskHistory, TaskStatus
from db.status_intervals import rebuild
from tests.portal.conftest import screenshot, sign_in
from workflow import analytics, cases, tasks

pytestmark = pytest.mark.live


def _two_days_earlier(task_id) -> None:
    """Move a task's whole story two days back (the forecast samples only the days before today)."""
    shift = timedelta(days=2)
    task = session.get(Task, task_id)
    for entry in session.scalars(select(TaskHistory).where(TaskHistory.task_id == task_id)):
        entry.changed_at -= shift
    for name in ("created_at", "updated_at", "status_since", "first_started_at"):
        if getattr(task, name) is not None:
            setattr(task, name, getattr(task, name) - shift)
    session.flush()
    rebuild(session.connection(), [task_id])  # the status intervals, from the history
    session.commit()
    analytics.rebuild()  # and the facts the team's pace is read from


def test_an_agent_sees_when_the_case_is_done(page, live_server, portal_user):
    manager, agent = portal_user(Role.MANAGER), portal_user(Role.AGENT)
    with live_server.app.app_context():
        case = cases.create_case(actor=manager, title="Forecast move")
        made = [tasks.create_task(actor=manager, title=f"Forecast task {n}", case_id=case.id) for n in range(3)]
        for status in (TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED):
            tasks.change_status(actor=manager, task_id=made[0].id, status=status)
        _two_days_earlier(made[0].id)

    sign_in(page, live_server.url, agent, next_path=f"/cases/{case.id}")
    page.wait_for_selector("#case-forecast-summary :text('Done by:')")
    said = page.inner_text("#case-forecast-summary")
    assert said.startswith("2 open tasks;") and "in the last 12 weeks" in said and "not within three years" not in said
    assert "At the pace of the whole team" in said
    page.wait_for_selector("#case-forecast .barlayer .point path")
    assert page.locator("#case-forecast .annotation-text").count() == 3  # the 50, 85 and 95 % marks
    screenshot(page, "case-forecast")

    page.fill("#case-forecast-weeks", "1")
    page.press("#case-forecast-weeks", "Enter")
    page.wait_for_selector("#case-forecast-summary :text('in the last 1 week,')")
    page.wait_for_selector("#case-forecast .barlayer .point path")
