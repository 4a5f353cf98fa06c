"""Auto-assignment in a real browser: a manager sets round robin for a department, creates a task and sees it
assigned, with the reason in the history; who is away shows on the settings page; an Agent marks themself away
on the profile page."""
import uuid

import pytest
from sqlalchemy import select

from db import session
from db.models import AssignmentRule, Role, Task
from domain import times
from tests.conftest import PASSWORD
from tests.portal.conftest import screenshot, sign_in
from workflow import users

pytestmark = pytest.mark.live


def test_a_manager_sets_round_robin_and_a_new_task_is_assigned_at_once(page, live_server):
    department = f"Desk {uuid.uuid4().hex[:6]}"
    tag = uuid.uuid4().hex[:6]
    with live_server.app.app_context():
        def make(role, name):
            return users.create_user(actor=None, username=f"{name.split()[0].lower()}_{tag}", full_name=name,
                                     email=f"{name.split()[0].lower()}_{tag}@example.com", role=role,
                                     password=PASSWORD, department=department)
        manager = make(Role.MANAGER, "Mona Manager")
        ada = make(Role.AGENT, "Ada Agent")
        away = make(Role.AGENT, "Zed Away")
        users.update_user(actor=away, user_id=away.id, changes={"away": True})
        session.remove()

    sign_in(page, live_server.url, manager, next_path="/")
    page.wait_for_selector("#home-tasks")
    page.click("#nav-admin-menu .dropdown-toggle")
    page.click("#nav-admin-menu a[href='/admin/assignment']")
    page.wait_for_url(f"{live_server.url}/admin/assignment")
    card = page.locator(".card", has=page.locator("h2", has_text=department))
    card.wait_for()
    rows = card.locator("tbody tr")
    assert rows.count() == 2
    assert "Available" in rows.nth(0).inner_text() and "Ada Agent" in rows.nth(0).inner_text()
    assert "Away" in rows.nth(1).inner_text() and "Zed Away" in rows.nth(1).inner_text()

    card.locator("label", has_text="Round robin").click()
    card.get_by_role("button", name="Save").click()
    card.locator("[role=status]", has_text="Saved").wait_for()
    screenshot(page, "assignment-settings")
    with live_server.app.app_context():
        assert session.get(AssignmentRule, department).mode == "round_robin"
        session.remove()

    page.goto(f"{live_server.url}/new-task")
    page.wait_for_selector("#new-task-form")
    page.fill("#new-task-title", f"Toner low {tag}")
    page.click("#new-task-create")
    page.wait_for_url(f"{live_server.url}/tasks/*")
    page.wait_for_selector("#task-history li:has-text('Assigned to Ada Agent automatically (round robin)')")
    with live_server.app.app_context():
        task = session.scalars(select(Task).where(Task.title == f"Toner low {tag}")).one()
        session.remove()
    assert task.assigned_to == ada.id
    assert page.url == f"{live_server.url}/tasks/{task.id}"
    screenshot(page, "assignment-task")


def test_agents_are_refused_the_page_and_do_not_see_it_in_the_menu(page, live_server, portal_user):
    agent = portal_user(Role.AGENT)
    sign_in(page, live_server.url, agent, next_path="/admin/assignment")
    page.wait_for_selector("#assignment-denied")
    assert page.locator("a[href='/admin/assignment']").count() == 0


def test_an_agent_marks_themself_away_until_a_day_on_the_profile_page(page, live_server, portal_user):
    from datetime import timedelta

    from db.models import User
    from db.types import utcnow

    agent = portal_user(Role.AGENT)
    sign_in(page, live_server.url, agent, next_path="/profile")
    page.wait_for_selector("#profile-away-save")
    page.check("#profile-away")
    page.fill("#profile-away-until", "next week")
    page.click("#profile-away-save")
    page.wait_for_selector("#profile-away-until.is-invalid")
    back = (utcnow() + timedelta(days=7)).date()
    page.fill("#profile-away-until", back.isoformat())
    page.click("#profile-away-save")
    page.wait_for_selector("#profile-away-message:has-text('you are away until')")
    with live_server.app.app_context():
        stored = session.get(User, agent.id)
        session.remove()
    # The day on the user's clock (their first sign-in took the browser's zone), from its start.
    on_their_clock = times.local(stored.away_until, stored)
    assert stored.away is True and on_their_clock.date() == back and on_their_clock.hour == 0
    page.uncheck("#profile-away")
    page.click("#profile-away-save")
    page.wait_for_selector("#profile-away-message:has-text('you are not away')")
    with live_server.app.app_context():
        stored = session.get(User, agent.id)
        session.remove()
    assert (stored.away, stored.away_until) == (False, None)
