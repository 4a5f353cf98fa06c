"""Times on the user's clock in a real browser: a New York user sees noon UTC on the day daylight saving starts
as 08:00 on home and in the task grid, and types due dates in New York time; the first sign-in keeps the
browser's zone."""
from datetime import datetime, timezone

import pytest

from db import session
from db.models import Role, Task, User
from portal.components import times
from tests.conftest import wait_until
from tests.portal.conftest import VIEWPORTS, screenshot, sign_in
from workflow import tasks, users

pytestmark = pytest.mark.live

#: New York's clocks go from 02:00 EST to 03:00 EDT on 8 March 2026: noon UTC is 08:00 there.
DUE = datetime(2026, 3, 8, 12, 0, tzinfo=timezone.utc)


def _new_yorker(live_server, portal_user, title: str):
    agent = portal_user(Role.AGENT)
    with live_server.app.app_context():
        users.update_user(actor=agent, user_id=agent.id, changes={"time_zone": "America/New_York"})
        task = tasks.create_task(actor=agent, title=title, assigned_to=agent.id)
        # Past due dates are refused at creation, not on an edit.
        tasks.update_task(actor=agent, task_id=task.id, changes={"due_date": DUE})
    agent.time_zone = "America/New_York"
    return agent, task


def _due_cell(page, title: str):
    row = page.locator(".ag-row", has=page.locator("[col-id=title]", has_text=title)).first
    return row.locator("[col-id=due_date]")


def test_home_shows_the_due_date_on_the_users_clock(page, live_server, portal_user):
    agent, _task = _new_yorker(live_server, portal_user, "Zoned home subject")
    shown = times.moment(DUE, agent)
    assert shown.startswith("Sun 8 Mar") and shown.endswith(" 08:00")
    sign_in(page, live_server.url, agent)
    page.wait_for_selector("#home-tasks")
    row = page.locator("#home-tasks tr", has_text="Zoned home subject")
    assert row.locator("time").inner_text() == shown
    assert row.locator("time").get_attribute("title") == f"{shown} New York time"
    assert row.locator("time").get_attribute("datetime") == "2026-03-08T12:00:00+00:00"
    assert "New York time" in page.inner_text("#home-tasks thead")
    screenshot(page, "home-new-york")


def test_the_task_grid_shows_and_reads_due_dates_on_the_users_clock(page, live_server, portal_user):
    agent, task = _new_yorker(live_server, portal_user, "Zoned grid subject")
    sign_in(page, live_server.url, agent, next_path="/tasks")
    page.wait_for_selector(".ag-row")
    page.select_option("select >> nth=0", "mine")
    cell = _due_cell(page, "Zoned grid subject")
    # The browser (Intl, assets/dashAgGridFunctions.js) writes what the server (domain/times.py) writes.
    wait_until(lambda: cell.inner_text() == times.moment(DUE, agent), 15, "the due date in New York time")
    assert "New York time" in page.inner_text("#tasks-zone-note")

    cell.dblclick()
    editor = page.locator(".ag-cell-inline-editing input")
    assert editor.input_value() == "2026-03-08 08:00"  # edited on the user's clock too
    page.keyboard.press("Control+a")
    page.keyboard.type("2031-07-01 09:30")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Saved the due date of 'Zoned grid subject'.")
    wait_until(lambda: cell.inner_text() == "Tue 1 Jul 2031 09:30", 15, "the new due date in New York time")
    with live_server.app.app_context():
        assert session.get(Task, task.id).due_date == datetime(2031, 7, 1, 13, 30, tzinfo=timezone.utc)  # EDT: UTC-4

    # 02:30 does not happen in New York on 9 March 2031: the clocks go from 02:00 to 03:00.
    cell.dblclick()
    page.keyboard.press("Control+a")
    page.keyboard.type("2031-03-09 02:30")
    page.keyboard.press("Enter")
    page.wait_for_selector(
        "text=Not saved: the due date is not a valid date. 02:30 does not exist on 9 Mar 2031 in New York time (the clocks go forward)."
    )
    with live_server.app.app_context():
        assert session.get(Task, task.id).due_date == datetime(2031, 7, 1, 13, 30, tzinfo=timezone.utc)


def test_the_first_sign_in_keeps_the_browsers_zone_and_later_ones_do_not_move_it(browser, live_server, portal_user):
    agent = portal_user(Role.AGENT)

    def sign_in_from(zone: str) -> None:
        context = browser.new_context(viewport=VIEWPORTS["desktop"], timezone_id=zone)
        context.set_default_timeout(15_000)
        try:
            page = context.new_page()
            sign_in(page, live_server.url, agent)
            page.wait_for_selector("#home-tasks")
            page.wait_for_timeout(1000)  # the store's callback has had its chance
        finally:
            context.close()

    def stored() -> str | None:
        with live_server.app.app_context():
            return session.get(User, agent.id).time_zone

    sign_in_from("Asia/Tokyo")
    wait_until(lambda: stored() == "Asia/Tokyo", 15, "the browser's zone to be stored")
    sign_in_from("Europe/Paris")
    assert stored() == "Asia/Tokyo"
