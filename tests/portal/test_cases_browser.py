"""Cases in a real browser: open one from the list, its mini board, progress and history, who may close it, text stays
text, and what the list offers when it is empty."""
import re
import uuid

import pytest

from app import create_app
from db.models import CaseStatus, Priority, Role, TaskStatus
from domain.errors import Forbidden
from tests.conftest import PASSWORD, LiveServer, config_for
from tests.portal.conftest import screenshot, sign_in
from workflow import cases, tasks, users

pytestmark = pytest.mark.live

CASE_URL = re.compile(r".*/cases/([0-9a-f-]{36})$")


def column(page, status: TaskStatus):
    return page.locator(f"#case-board section[data-status='{status.value}']")


def legend(page) -> list[str]:
    return [page.inner_text(f"#case-progress li[data-status='{s.value}'] .case-count") for s in TaskStatus]


def open_case_page(page, live_server, user, case_id):
    sign_in(page, live_server.url, user, next_path=f"/cases/{case_id}")
    page.wait_for_selector("#case-header h1")


def make_case(live_server, actor, title="Printer fleet renewal"):
    with live_server.app.app_context():
        return cases.create_case(actor=actor, title=title, description="Replace every printer\n  on floor 3")


def test_manager_opens_a_case_and_follows_its_tasks(page, live_server, portal_user):
    manager, agent = portal_user(Role.MANAGER), portal_user(Role.AGENT, full_name="Ada Agent")
    sign_in(page, live_server.url, manager, next_path="/cases")
    page.fill("#cases-title-input", "")
    page.click("#cases-create")
    page.wait_for_selector("#cases-title-input.is-invalid")
    assert page.inner_text("#cases-title-input-error") == "The title is required."
    page.fill("#cases-title-input", "Office move to Leeds")
    page.fill("#cases-description-input", "Everything by Friday")
    page.click("#cases-create")
    page.wait_for_url(CASE_URL)
    case_id = uuid.UUID(CASE_URL.match(page.url).group(1))
    page.wait_for_selector("#case-header h1")
    assert "Office move to Leeds" in page.inner_text("#case-header h1") and "Open" in page.inner_text("#case-header h1")
    assert re.match(r"CASE-\d{4}-\d{5}", page.inner_text("#case-header"))
    assert "No tasks in this case yet." in page.inner_text("#case-progress")

    with live_server.app.app_context():
        pack = tasks.create_task(actor=manager, title="Pack the servers", case_id=case_id, priority=Priority.HIGH, assigned_to=agent.id)
        tasks.create_task(actor=manager, title="Book the vans", case_id=case_id)
        tasks.create_task(actor=manager, title="Not in this case")
    page.reload()
    page.wait_for_selector("#case-board section[data-status='New'] .board-card")
    assert column(page, TaskStatus.NEW).locator(".board-card").count() == 2
    assert "Ada Agent" in column(page, TaskStatus.NEW).locator(f"[data-task-id='{pack.id}']").inner_text()
    assert "High" in column(page, TaskStatus.NEW).locator(f"[data-task-id='{pack.id}']").inner_text()
    assert "Not in this case" not in page.inner_text("#case-board")
    assert legend(page) == ["2", "0", "0", "0", "0"]

    with live_server.app.app_context():
        tasks.change_status(actor=manager, task_id=pack.id, status=TaskStatus.IN_PROGRESS)
    page.reload()
    page.wait_for_selector(f"#case-board section[data-status='In Progress'] [data-task-id='{pack.id}']")
    assert legend(page) == ["1", "1", "0", "0", "0"]
    assert "0 of 2 tasks completed" in page.inner_text("#case-progress")
    newest = page.locator("#case-history li").first.inner_text()
    assert "Pack the servers" in newest and "Status: New → In Progress" in newest
    assert page.locator("#case-history li").count() == 3
    screenshot(page, "case")

    page.click("#case-toggle")
    page.wait_for_selector("#case-header h1:has-text('Closed')")
    assert page.inner_text("#case-toggle") == "Reopen case"
    with live_server.app.app_context():
        assert cases.get_case(case_id=case_id).status == CaseStatus.CLOSED

    page.click(f"#case-board a[href='/tasks/{pack.id}']")
    page.wait_for_selector("#task-fields h1")
    page.click(f"#task-fields a[href='/cases/{case_id}']")
    page.wait_for_selector("#case-header h1:has-text('Office move to Leeds')")

    page.goto(f"{live_server.url}/cases")
    page.select_option("#cases-status", "closed")
    page.wait_for_selector(f"#cases-list tr[data-case-id='{case_id}']")
    screenshot(page, "cases")


def test_viewer_and_other_agent_cannot_change_a_case(page, live_server, portal_user):
    creator, other, viewer = portal_user(Role.AGENT), portal_user(Role.AGENT), portal_user(Role.VIEWER)
    case = make_case(live_server, creator, title=f"Agent's case {creator.username}")
    for user in (viewer, other):
        open_case_page(page, live_server, user, case.id)
        assert page.locator("#case-toggle, #case-save, #case-title-input").count() == 0
        page.goto(f"{live_server.url}/cases")
        page.wait_for_selector("#cases-list")
        assert page.locator("#cases-create").count() == (0 if user is viewer else 1)
        page.context.clear_cookies()
    with live_server.app.app_context(), pytest.raises(Forbidden):
        cases.update_case(actor=other, case_id=case.id, changes={"status": CaseStatus.CLOSED})
    open_case_page(page, live_server, creator, case.id)
    assert page.inner_text("#case-toggle") == "Close case"


def test_case_text_is_text_and_search_finds_it(page, live_server, portal_user):
    manager = portal_user(Role.MANAGER)
    title = "<img src=x onerror=alert(1)> & <b>bold</b>"
    case = make_case(live_server, manager, title=title)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, live_server.url, manager, next_path="/cases")
    page.fill("#cases-q", case.reference)
    page.wait_for_function("document.querySelectorAll('#cases-list tr').length === 1")
    assert title in page.inner_text("#cases-list")
    page.click(f"#cases-list a[href='/cases/{case.id}']")
    page.wait_for_selector("#case-header h1")
    assert title in page.inner_text("#case-header") and "Replace every printer\n  on floor 3" in page.inner_text("#case-header")
    assert page.locator("#case-header img, #case-header b, #cases-list img").count() == 0
    page.wait_for_timeout(300)
    assert dialogs == []


@pytest.mark.parametrize("case_id", [uuid.UUID(int=1), "not-a-uuid"])
def test_unknown_case_is_not_found(page, live_server, portal_user, case_id):
    sign_in(page, live_server.url, portal_user(Role.VIEWER), next_path=f"/cases/{case_id}")
    page.wait_for_selector("#case-not-found")
    assert "Case not found" in page.inner_text("#case-not-found")


def test_more_loads_the_next_page_of_cases(page, live_server, portal_user):
    manager = portal_user(Role.MANAGER)
    with live_server.app.app_context():
        for n in range(51):
            cases.create_case(actor=manager, title=f"Batch {manager.username} {n:02}")
    sign_in(page, live_server.url, manager, next_path="/cases")
    page.fill("#cases-q", manager.username)
    page.wait_for_function("document.querySelectorAll('#cases-list tr').length === 50")
    assert f"{manager.username} 50" in page.inner_text("#cases-list tr >> nth=0")
    page.click("#cases-more")
    page.wait_for_function("document.querySelectorAll('#cases-list tr').length === 51")
    assert f"{manager.username} 00" in page.inner_text("#cases-list tr >> nth=50")
    assert not page.is_visible("#cases-more")


def test_no_case_matches_and_clear_filters_shows_them_again(page, live_server, portal_user):
    viewer, manager = portal_user(Role.VIEWER), portal_user(Role.MANAGER)
    case = make_case(live_server, manager, title=f"Closed one {manager.username}")
    with live_server.app.app_context():
        cases.update_case(actor=manager, case_id=case.id, changes={"status": CaseStatus.CLOSED})
    sign_in(page, live_server.url, viewer, next_path="/cases")
    page.wait_for_selector("#cases-list")
    page.fill("#cases-q", f"nothing like {uuid.uuid4().hex}")
    page.wait_for_selector("#cases-empty")
    assert "No cases match" in page.inner_text("#cases-empty")
    screenshot(page, "cases-empty-filtered")

    page.click("#cases-empty button:has-text('Clear filters')")
    page.wait_for_selector(f"#cases-list tr[data-case-id='{case.id}']")
    assert page.input_value("#cases-q") == "" and page.input_value("#cases-status") == "all"
    assert page.locator("#cases-empty").count() == 0


@pytest.fixture(scope="module")
def empty_server(fresh_database):
    """A live server of its own on a database with no case at all."""
    server = LiveServer(create_app(config_for(fresh_database("wm_no_cases"), LOGIN_MAX_FAILURES_PER_ADDRESS=10_000))).start()
    yield server
    server.stop()


@pytest.mark.parametrize("role", [Role.AGENT, Role.VIEWER])
def test_no_cases_yet_offers_to_open_the_first_to_those_who_may(page, empty_server, role):
    with empty_server.app.app_context():
        user = users.create_user(actor=None, username=f"first_{role.value.lower()}", email=f"first_{role.value.lower()}@example.com",
                                 full_name=f"First {role.value}", role=role, password=PASSWORD)
    sign_in(page, empty_server.url, user, next_path="/cases")
    page.wait_for_selector("#cases-empty")
    assert "No cases yet" in page.inner_text("#cases-empty")
    if role == Role.VIEWER:
        assert page.locator("#cases-empty a, #cases-empty button, #cases-title-input").count() == 0
        return
    screenshot(page, "cases-empty")
    page.click("#cases-empty a:has-text('New case')")
    # The next step is the form's first field, ready to type in (no case opened: the server stays empty).
    page.wait_for_function("document.activeElement && document.activeElement.id === 'cases-title-input'")
