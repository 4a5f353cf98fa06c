"""The everyday actions of the task page and the new task form in a real browser, per role: a task put in a case
from either form, watching, deleting, and an Agent's assignee choices."""
import re
import uuid

import pytest

from db.models import CaseStatus, NotificationType, Role, TaskStatus
from domain import rules
from domain.errors import NotFound
from notifications import store
from portal.components.task_choices import CASE_CHOICES
from tests.portal.conftest import screenshot, sign_in
from workflow import cases, notifications, tasks, users

pytestmark = pytest.mark.live

TASK_URL = re.compile(r".*/tasks/([0-9a-f-]{36})$")


def _open_task(page, live_server, user, task_id):
    sign_in(page, live_server.url, user, next_path=f"/tasks/{task_id}")
    page.wait_for_selector("#task-fields h1")


def _case(live_server, actor, title: str, closed: bool = False):
    with live_server.app.app_context():
        case = cases.create_case(actor=actor, title=title)
        if closed:
            case = cases.update_case(actor=actor, case_id=case.id, changes={"status": CaseStatus.CLOSED})
    return case


def case_label(case) -> str:
    """How the pickers and the history name a case."""
    return f"{case.reference} · {case.title}"


def _task(live_server, task_id):
    with live_server.app.app_context():
        return tasks.get_task(task_id=task_id)


def _choose_case(page, picker: str, search: str, label: str) -> None:
    """Type into a case picker's search box and click the option the server found."""
    page.click(picker)
    page.fill(".dash-dropdown-content input.dash-dropdown-search", search)
    page.locator(".dash-dropdown-content [role=option]", has_text=label).first.click()


def _case_page_lists(page, live_server, case_id, task_id) -> None:
    page.goto(f"{live_server.url}/cases/{case_id}")
    page.wait_for_selector(f"#case-board [data-task-id='{task_id}']")


# --- a task in a case ---------------------------------------------------------------------


def test_manager_puts_a_task_in_an_open_case_from_the_edit_form(page, live_server, portal_user):
    manager = portal_user(Role.MANAGER)
    marker = uuid.uuid4().hex[:8]
    open_case = _case(live_server, manager, f"Warehouse move {marker}")
    _case(live_server, manager, f"Warehouse archive {marker}", closed=True)
    with live_server.app.app_context():
        # Newer open cases than a picker's first page holds: the one wanted is found only by searching the server.
        for n in range(CASE_CHOICES):
            cases.create_case(actor=manager, title=f"Later case {n}")
        task = tasks.create_task(actor=manager, title="Label the shelves")
    _open_task(page, live_server, manager, task.id)

    page.locator("#task-case-input").scroll_into_view_if_needed()
    page.click("#task-case-input")
    page.locator(".dash-dropdown-content [role=option]").first.wait_for()
    assert page.locator(".dash-dropdown-content [role=option]").count() == CASE_CHOICES
    assert page.locator(".dash-dropdown-content [role=option]", has_text=marker).count() == 0
    page.fill(".dash-dropdown-content input.dash-dropdown-search", marker)
    offered = page.locator(".dash-dropdown-content [role=option]", has_text=marker)
    offered.first.wait_for()
    # The open case is found, the closed one is not offered.
    assert offered.all_inner_texts() == [case_label(open_case)]
    screenshot(page, "task-case-picker")
    offered.first.click()
    page.click("#task-save")
    page.wait_for_selector(f"#task-history li:has-text('Put in case {case_label(open_case)}')")
    assert open_case.reference in page.inner_text("#task-fields")
    assert _task(live_server, task.id).case_id == open_case.id
    _case_page_lists(page, live_server, open_case.id, task.id)


def test_a_task_keeps_its_closed_case_until_taken_out_of_it(page, live_server, portal_user):
    manager = portal_user(Role.MANAGER)
    case = _case(live_server, manager, f"Finished rollout {uuid.uuid4().hex[:8]}")
    with live_server.app.app_context():
        task = tasks.create_task(actor=manager, title="Last rollout check", case_id=case.id)
        cases.update_case(actor=manager, case_id=case.id, changes={"status": CaseStatus.CLOSED})
    _open_task(page, live_server, manager, task.id)
    assert case_label(case) in page.inner_text("#task-case-input")

    page.fill("#task-title-input", "Last rollout check, done")
    page.click("#task-save")
    page.wait_for_selector("#task-fields h1:text-is('Last rollout check, done')")
    assert _task(live_server, task.id).case_id == case.id  # the closed case was kept, not re-saved

    page.locator("#task-case-input").hover()
    page.locator("#task-case-input .dash-dropdown-clear").click()
    page.click("#task-save")
    page.wait_for_selector(f"#task-history li:has-text('Taken out of case {case_label(case)}')")
    assert _task(live_server, task.id).case_id is None


def test_agent_creates_a_task_in_the_case_the_link_names(page, live_server, portal_user):
    agent = portal_user(Role.AGENT)
    case = _case(live_server, agent, f"Printer refresh {uuid.uuid4().hex[:8]}")
    sign_in(page, live_server.url, agent, next_path=f"/new-task?case={case.id}")
    page.wait_for_selector("#new-task-form")
    assert case_label(case) in page.inner_text("#new-task-case")
    page.fill("#new-task-title", "Unbox the printers")
    page.click("#new-task-create")
    page.wait_for_url(TASK_URL)
    task_id = uuid.UUID(TASK_URL.match(page.url).group(1))
    page.wait_for_selector("#task-fields h1")
    assert case.reference in page.inner_text("#task-fields")
    assert _task(live_server, task_id).case_id == case.id
    _case_page_lists(page, live_server, case.id, task_id)


def test_agent_chooses_a_case_on_the_new_task_form(page, live_server, portal_user):
    agent = portal_user(Role.AGENT)
    marker = uuid.uuid4().hex[:8]
    case = _case(live_server, agent, f"Badge readers {marker}")
    sign_in(page, live_server.url, agent, next_path="/new-task")
    page.wait_for_selector("#new-task-form")
    page.fill("#new-task-title", "Test the badge readers")
    _choose_case(page, "#new-task-case", marker, case_label(case))
    page.click("#new-task-create")
    page.wait_for_url(TASK_URL)
    task_id = uuid.UUID(TASK_URL.match(page.url).group(1))
    assert _task(live_server, task_id).case_id == case.id
    _case_page_lists(page, live_server, case.id, task_id)


# --- watching -----------------------------------------------------------------------------


def _status_notices(live_server, user, task_id) -> list[str]:
    with live_server.app.app_context():
        items = store.list_notifications(user=user, unread=None, limit=50, cursor=None).items
    return [item.content for item in items if item.related_task_id == task_id and item.type == NotificationType.STATUS_CHANGE]


def test_viewer_watches_hears_of_a_change_and_unwatches(page, live_server, portal_user):
    manager = portal_user(Role.MANAGER)
    viewer = portal_user(Role.VIEWER, full_name="Wendy Watcher")
    with live_server.app.app_context():
        task = tasks.create_task(actor=manager, title="Replace the UPS batteries")
        # Their own choice, whatever an Admin's defaults are meanwhile.
        notifications.update_settings(user=viewer, changes={NotificationType.STATUS_CHANGE: {"in_app": True}})
    _open_task(page, live_server, viewer, task.id)
    assert page.inner_text("#task-watch") == "Watch"
    assert page.inner_text("#task-watchers") == "No watchers"

    page.click("#task-watch")
    page.wait_for_selector("#task-watch:text-is('Unwatch')")
    assert page.inner_text("#task-watchers") == "1 watcher"
    assert page.inner_text("#task-watchers-names") == "Watched by Wendy Watcher"
    screenshot(page, "task-watching")

    with live_server.app.app_context():
        tasks.change_status(actor=manager, task_id=task.id, status=TaskStatus.IN_PROGRESS)
    assert len(_status_notices(live_server, viewer, task.id)) == 1

    page.click("#task-watch")
    page.wait_for_selector("#task-watch:text-is('Watch')")
    assert page.inner_text("#task-watchers") == "No watchers"
    assert page.inner_text("#task-watchers-names") == ""
    with live_server.app.app_context():
        tasks.change_status(actor=manager, task_id=task.id, status=TaskStatus.ON_HOLD)
    assert len(_status_notices(live_server, viewer, task.id)) == 1


# --- deleting -----------------------------------------------------------------------------


def test_manager_deletes_a_task_after_confirming(page, live_server, portal_user):
    manager = portal_user(Role.MANAGER)
    with live_server.app.app_context():
        task = tasks.create_task(actor=manager, title="Duplicate of the VPN ticket")
    _open_task(page, live_server, manager, task.id)

    page.click("#task-delete")
    page.wait_for_selector("#task-delete-modal", state="visible")
    assert "Duplicate of the VPN ticket" in page.inner_text("#task-delete-modal")
    page.click("#task-delete-cancel")
    page.wait_for_selector("#task-delete-modal", state="detached")
    assert _task(live_server, task.id).deleted_at is None

    page.click("#task-delete")
    page.wait_for_selector("#task-delete-modal", state="visible")
    screenshot(page, "task-delete")
    page.click("#task-delete-confirm")
    page.wait_for_url(f"{live_server.url}/tasks?notice=task-deleted")
    page.wait_for_selector("#page-notice:has-text('Task deleted.')")
    with live_server.app.app_context(), pytest.raises(NotFound):
        tasks.get_task(task_id=task.id)


def test_a_stale_delete_is_refused_in_the_toast(page, live_server, portal_user):
    manager = portal_user(Role.MANAGER)
    with live_server.app.app_context():
        task = tasks.create_task(actor=manager, title="Changed while I looked")
    _open_task(page, live_server, manager, task.id)
    with live_server.app.app_context():
        tasks.update_task(actor=manager, task_id=task.id, changes={"title": "Changed meanwhile"})
    page.click("#task-delete")
    page.click("#task-delete-confirm")
    page.wait_for_selector("#task-message .alert-danger:has-text('This task was changed by someone else')")
    assert page.url == f"{live_server.url}/tasks/{task.id}"
    assert _task(live_server, task.id).deleted_at is None


@pytest.mark.parametrize("role", [Role.VIEWER, Role.AGENT])
def test_no_delete_button_for_those_who_may_not_delete(page, live_server, portal_user, role):
    manager, user = portal_user(Role.MANAGER), portal_user(role)
    with live_server.app.app_context():
        task = tasks.create_task(actor=manager, title="Not yours to delete", assigned_to=user.id if role == Role.AGENT else None)
    _open_task(page, live_server, user, task.id)
    assert page.locator("#task-watch").count() == 1
    assert page.locator("#task-delete").count() == 0
    assert page.locator("#task-delete-modal").count() == 0


# --- the assignee choices follow the rules ------------------------------------------------


def _assignee_values(page) -> list[str]:
    """The values of the choices (not of dbc.Select's hidden placeholder)."""
    return page.locator("#task-assignee-input option").evaluate_all(
        "options => options.filter(o => o.textContent).map(o => o.value)")


def _allowed(live_server, user, task) -> list[str]:
    """What rules.may_set_assignee allows, "none" for Unassigned, in the order the picker lists people."""
    with live_server.app.app_context():
        people = [person.id for person in users.assignable_users()]
    return [str(choice) if choice else "none" for choice in [None, *people] if rules.may_set_assignee(user, task, choice)]


def test_agent_is_offered_only_the_assignees_the_rules_allow(page, live_server, portal_user):
    agent, other = portal_user(Role.AGENT, full_name="Abe Agent"), portal_user(Role.AGENT)
    manager = portal_user(Role.MANAGER)
    with live_server.app.app_context():
        own = tasks.create_task(actor=agent, title="My own unassigned task")
        handed = tasks.create_task(actor=agent, title="Mine, given to someone else")
        tasks.update_task(actor=manager, task_id=handed.id, changes={"assigned_to": other.id})
        handed = tasks.get_task(task_id=handed.id)

    # Unassigned: keep it so, or take it; nobody else.
    _open_task(page, live_server, agent, own.id)
    assert _assignee_values(page) == ["none", str(agent.id)] == _allowed(live_server, agent, own)
    assert page.locator("#task-assignee-input option:checked").inner_text() == "Unassigned"
    assert page.locator(f"#task-assignee-input option[value='{agent.id}']").inner_text() == "Abe Agent (me)"
    page.select_option("#task-assignee-input", str(agent.id))
    page.click("#task-save")
    page.wait_for_selector("#task-history li:has-text('Assigned to: — → Abe Agent')")
    # Now theirs: they may hand it back, still to nobody else.
    assert _assignee_values(page) == ["none", str(agent.id)]

    # Someone else's now: only as it is.
    page.goto(f"{live_server.url}/tasks/{handed.id}")
    page.wait_for_selector("#task-assignee-input")
    assert _assignee_values(page) == [str(other.id)] == _allowed(live_server, agent, handed)


def test_agent_takes_an_unassigned_task_from_the_queue(page, live_server, portal_user):
    """An Agent who neither made nor holds a task has no edit form: "Take it" is their way to it."""
    manager, agent = portal_user(Role.MANAGER), portal_user(Role.AGENT)
    with live_server.app.app_context():
        task = tasks.create_task(actor=manager, title="Printer on floor 3 jams")
        held = tasks.create_task(actor=manager, title="Already someone's", assigned_to=manager.id)
    _open_task(page, live_server, agent, task.id)
    assert page.locator("#task-form").count() == 0
    page.click("#task-take")
    page.wait_for_selector("#page-notice:has-text('The task is yours now.')")
    page.wait_for_selector("#task-form")  # now theirs to edit
    assert page.locator("#task-take").count() == 0
    assert _task(live_server, task.id).assigned_to == agent.id

    page.goto(f"{live_server.url}/tasks/{held.id}")
    page.wait_for_selector("#task-fields h1")
    assert page.locator("#task-take").count() == 0


def test_a_viewer_cannot_take_a_task(page, live_server, portal_user):
    manager, viewer = portal_user(Role.MANAGER), portal_user(Role.VIEWER)
    with live_server.app.app_context():
        task = tasks.create_task(actor=manager, title="Unassigned, for the team")
    _open_task(page, live_server, viewer, task.id)
    assert page.locator("#task-watch").count() == 1
    assert page.locator("#task-take").count() == 0
