"""Every page at phone width: nothing reaches past the screen's right edge (no page scrolls sideways)."""
import pytest

from db.models import Role
from tests.portal.conftest import VIEWPORTS, sign_in
from workflow import cases, tasks

pytestmark = pytest.mark.live

#: (who opens it, the address, what shows the page is there); {task} and {case} are made by the test.
PAGES = [
    (Role.AGENT, "/", "#home-tasks"),
    (Role.AGENT, "/tasks", ".ag-row"),
    (Role.AGENT, "/board", ".board-card"),
    (Role.AGENT, "/tasks/{task}", "#task-fields h1"),
    (Role.AGENT, "/new-task", "#new-task-form"),
    (Role.AGENT, "/cases", "h1"),
    (Role.AGENT, "/cases/{case}", "#case-header"),
    (Role.AGENT, "/notifications", "h1"),
    (Role.AGENT, "/preferences", "h1"),
    (Role.AGENT, "/profile", "#profile-time-zone"),
    (Role.MANAGER, "/workload", "h1"),
    (Role.ADMIN, "/admin/users", "table"),
    (Role.ADMIN, "/admin/sla", "h1"),
]


@pytest.mark.parametrize("role, path, ready", PAGES, ids=[path for _role, path, _ready in PAGES])
def test_the_page_fits_a_phone(page, live_server, portal_user, role, path, ready):
    user, manager = portal_user(role), portal_user(Role.MANAGER)
    with live_server.app.app_context():
        case = cases.create_case(actor=manager, title="A case with a rather long title to wrap on a phone screen")
        task = tasks.create_task(actor=manager, title="A task with a long title, to wrap on a narrow phone screen",
                                 assigned_to=user.id if role != Role.VIEWER else None, case_id=case.id,
                                 tags=["hardware", "onboarding"])
    page.set_viewport_size(VIEWPORTS["phone"])
    sign_in(page, live_server.url, user, next_path=path.format(task=task.id, case=case.id))
    page.wait_for_selector(ready, state="attached")
    page.wait_for_load_state("networkidle")
    # What sticks out (not counting what scrolls inside a container of its own), to say where in a failure.
    wide = page.evaluate("""(limit) => [...document.querySelectorAll('body *')].filter((el) => {
            if (el.getBoundingClientRect().right <= limit + 0.5) { return false; }
            for (let up = el.parentElement; up; up = up.parentElement) {
                if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(up).overflowX)) { return false; }
            }
            return true;
        }).map((el) => `${el.tagName}#${el.id}.${el.className}`).slice(0, 3)""", VIEWPORTS["phone"]["width"])
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS["phone"]["width"], (path, wide)
