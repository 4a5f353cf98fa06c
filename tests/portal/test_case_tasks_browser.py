"""Tasks into a case from its page: "Add task" opens the new task form for the case, "Add existing task" puts a
task in it (and the history says so in words), only while the case is open and only for those who may create tasks."""
import re
import uuid

import pytest

from db.models import CaseStatus, Role
from tests.portal.conftest import screenshot, sign_in
from workflow import cases, tasks

pytestmark = pytest.mark.live

PICKER = "#case-add-existing-picker"
SEARCH = ".dash-dropdown-content input.dash-dropdown-search"
OPTIONS = ".dash-dropdown-content [role=option]"


def make_case(live_server, actor, title: str):
    with live_server.app.app_context():
        return cases.create_case(actor=actor, title=title)


def make_task(live_server, actor, title: str, **fields):
    with live_server.app.app_context():
        return tasks.create_task(actor=actor, title=title, **fields)


def open_case_page(page, live_server, user, case_id):
    sign_in(page, live_server.url, user, next_path=f"/cases/{case_id}")
    page.wait_for_selector("#case-header h1")


def picker_answer(page):
    """Waits (as a context manager) for the server's answer with the picker's options."""
    return page.expect_response(lambda response: "_dash-update-component" in response.url
                                and "case-add-existing-picker.options" in (response.request.post_data or ""))


def search(page, text: str):
    """Type into the open picker's search box and wait for the tasks the server finds."""
    with picker_answer(page):
        page.fill(SEARCH, text)
    page.wait_for_timeout(200)  # the answer drawn


def search_picker(page, text: str):
    """Open the "Add existing task" panel, then its picker, and search it."""
    with picker_answer(page):
        page.click("#case-add-existing")
    page.wait_for_selector("#case-add-existing-panel.show")
    page.click(PICKER)
    search(page, text)


def offered(page) -> list[str]:
    return [text.strip() for text in page.locator(OPTIONS).all_inner_texts()]


def test_add_existing_task_puts_it_in_the_case_and_the_history_says_so(page, live_server, portal_user):
    manager = portal_user(Role.MANAGER)
    mark = uuid.uuid4().hex[:8]
    case = make_case(live_server, manager, f"Printer fleet {mark}")
    inside = make_task(live_server, manager, f"Count printers {mark}", case_id=case.id)
    toner = make_task(live_server, manager, f"Order toner {mark}")
    open_case_page(page, live_server, manager, case.id)

    search_picker(page, f"toner {mark}")
    assert offered(page) == [f"Order toner {mark} · New"]
    search(page, mark)
    # The task already in the case is not offered.
    assert offered(page) == [f"Order toner {mark} · New"]
    page.locator(OPTIONS, has_text=f"Order toner {mark}").first.click()
    page.click("#case-add-existing-save")

    page.wait_for_selector("#case-message .alert-success")
    assert page.inner_text("#case-message") == f"'Order toner {mark}' is now in this case."
    page.wait_for_selector(f"#case-board [data-task-id='{toner.id}']")
    assert page.locator(f"#case-board [data-task-id='{inside.id}']").count() == 1
    assert "0 of 2 tasks completed" in page.inner_text("#case-progress")
    newest = page.locator("#case-history li").first.inner_text()
    assert f"Order toner {mark}" in newest and f"Put in case {case.reference} · Printer fleet {mark}" in newest
    screenshot(page, "case-add-existing")
    with live_server.app.app_context():
        assert tasks.get_task(task_id=toner.id).case_id == case.id

    # A reload shows the same: the task is in the case, and no longer offered.
    page.reload()
    page.wait_for_selector(f"#case-board [data-task-id='{toner.id}']")
    search_picker(page, mark)
    assert offered(page) == []


def test_a_task_moved_to_another_case_stays_in_the_first_ones_history(page, live_server, portal_user):
    manager = portal_user(Role.MANAGER)
    mark = uuid.uuid4().hex[:8]
    first, second = make_case(live_server, manager, f"Desks {mark}"), make_case(live_server, manager, f"Chairs {mark}")
    task = make_task(live_server, manager, f"Order furniture {mark}", case_id=first.id)
    with live_server.app.app_context():
        tasks.update_task(actor=manager, task_id=task.id, changes={"case_id": second.id})
        tasks.update_task(actor=manager, task_id=task.id, changes={"title": f"Order chairs {mark}"})
    moved = f"Moved from case {first.reference} · Desks {mark} to case {second.reference} · Chairs {mark}"

    open_case_page(page, live_server, manager, first.id)
    page.wait_for_selector("#case-history li")
    entries = page.locator("#case-history li").all_inner_texts()
    assert len(entries) == 2 and moved in entries[0] and "Created" in entries[1]
    assert "No tasks in this case yet." in page.inner_text("#case-progress")

    page.goto(f"{live_server.url}/cases/{second.id}")
    page.wait_for_selector("#case-history li")
    entries = page.locator("#case-history li").all_inner_texts()
    assert len(entries) == 2 and "Title: " in entries[0] and moved in entries[1]

    with live_server.app.app_context():
        tasks.update_task(actor=manager, task_id=task.id, changes={"case_id": None})
    page.reload()
    page.wait_for_selector("#case-history li")
    assert f"Taken out of case {second.reference} · Chairs {mark}" in page.locator("#case-history li").first.inner_text()


def test_an_agent_is_offered_only_the_tasks_they_may_move(page, live_server, portal_user):
    agent, manager = portal_user(Role.AGENT), portal_user(Role.MANAGER)
    mark = uuid.uuid4().hex[:8]
    case = make_case(live_server, agent, f"Laptops {mark}")
    make_task(live_server, agent, f"Mine {mark}")
    make_task(live_server, manager, f"Assigned to me {mark}", assigned_to=agent.id)
    make_task(live_server, manager, f"Someone else's {mark}")
    open_case_page(page, live_server, agent, case.id)
    search_picker(page, mark)
    assert sorted(offered(page)) == [f"Assigned to me {mark} · New", f"Mine {mark} · New"]


def test_add_task_opens_the_new_task_form_for_the_case(page, live_server, portal_user):
    agent = portal_user(Role.AGENT)
    case = make_case(live_server, agent, f"Phones {uuid.uuid4().hex[:8]}")
    open_case_page(page, live_server, agent, case.id)
    assert page.inner_text("#case-add-task").strip() == "Add task"
    page.click("#case-add-task")
    page.wait_for_url(re.compile(rf".*/new-task\?case={case.id}$"))


def test_a_viewer_sees_neither_add_button(page, live_server, portal_user):
    manager, viewer = portal_user(Role.MANAGER), portal_user(Role.VIEWER)
    case = make_case(live_server, manager, f"Monitors {uuid.uuid4().hex[:8]}")
    open_case_page(page, live_server, viewer, case.id)
    page.wait_for_selector("#case-watch")
    assert page.locator("#case-add-task, #case-add-existing, #case-add-existing-panel").count() == 0


def test_a_closed_case_shows_no_add_buttons_until_reopened(page, live_server, portal_user):
    manager = portal_user(Role.MANAGER)
    case = make_case(live_server, manager, f"Cables {uuid.uuid4().hex[:8]}")
    with live_server.app.app_context():
        cases.update_case(actor=manager, case_id=case.id, changes={"status": CaseStatus.CLOSED})
    open_case_page(page, live_server, manager, case.id)
    page.wait_for_selector("#case-toggle")
    assert page.locator("#case-add-task, #case-add-existing").count() == 0

    page.click("#case-toggle")
    page.wait_for_selector("#case-add-task")
    assert page.locator("#case-add-existing").count() == 1
    page.click("#case-toggle")
    page.wait_for_selector("#case-header h1:has-text('Closed')")
    assert page.locator("#case-add-task, #case-add-existing").count() == 0


def test_a_case_closed_meanwhile_refuses_the_task_in_a_sentence(page, live_server, portal_user):
    manager = portal_user(Role.MANAGER)
    mark = uuid.uuid4().hex[:8]
    case = make_case(live_server, manager, f"Badges {mark}")
    task = make_task(live_server, manager, f"Print badges {mark}")
    open_case_page(page, live_server, manager, case.id)
    search_picker(page, mark)
    page.locator(OPTIONS, has_text=f"Print badges {mark}").first.click()
    with live_server.app.app_context():
        cases.update_case(actor=manager, case_id=case.id, changes={"status": CaseStatus.CLOSED})
    page.click("#case-add-existing-save")
    page.wait_for_selector("#case-message .alert-danger")
    assert page.inner_text("#case-message") == "The case is closed."
    with live_server.app.app_context():
        assert tasks.get_task(task_id=task.id).case_id is None
