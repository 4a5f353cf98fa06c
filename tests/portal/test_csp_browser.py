"""The content security policy in Chromium: every page renders under it and none reports a violation."""
import uuid

import pytest

from db.models import Priority, Role, TaskStatus
from tests.conftest import PASSWORD
from tests.portal.conftest import VIEWPORTS, sign_in
from workflow import cases, comments, tasks, users

pytestmark = pytest.mark.live

#: Reports each violation of the page's policy to the test, from the document's first script on.
LISTEN = """
document.addEventListener('securitypolicyviolation', (event) => {
  window.reportCspViolation(`${event.effectiveDirective} blocked ${event.blockedURI || 'inline'} at ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture(scope="module")
def admin_data(live_server):
    """An Admin with a case, a task in it (moved, commented, assigned to them by a Manager: a notification)."""
    suffix = uuid.uuid4().hex[:6]
    with live_server.app.app_context():
        admin = users.create_user(actor=None, username=f"csp_admin_{suffix}", email=f"csp_admin_{suffix}@example.com",
                                  full_name="Csp Admin", role=Role.ADMIN, password=PASSWORD)
        manager = users.create_user(actor=None, username=f"csp_manager_{suffix}", email=f"csp_manager_{suffix}@example.com",
                                    full_name="Csp Manager", role=Role.MANAGER, password=PASSWORD)
        case = cases.create_case(actor=manager, title=f"Printer fleet {suffix}")
        task = tasks.create_task(actor=manager, title=f"Replace the toner {suffix}", priority=Priority.HIGH,
                                 assigned_to=admin.id, case_id=case.id, tags=["csp"])
        tasks.change_status(actor=manager, task_id=task.id, status=TaskStatus.IN_PROGRESS)
        comments.add_comment(actor=manager, task_id=task.id, body="Ordered a new cartridge.")
    return admin, case, task


@pytest.fixture(scope="module")
def admin_context(browser, live_server, admin_data):
    """A signed-in Admin's browser context whose pages report every CSP violation to `violations`."""
    context, violations = _listening_context(browser)
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, live_server.url, admin_data[0])
    page.wait_for_selector("#home-tasks")
    page.close()
    yield context, violations
    context.close()


def _listening_context(browser):
    """A browser context whose pages report every CSP violation to the list returned with it."""
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    violations = []
    context.expose_function("reportCspViolation", lambda text: violations.append(text))
    context.add_init_script(LISTEN)
    return context, violations


def _watch_console(page) -> list[str]:
    """Chromium's console messages about the policy (it logs every refused script, style or image)."""
    messages = []
    page.on("console", lambda message: messages.append(message.text) if "Content Security Policy" in message.text else None)
    return messages


@pytest.fixture
def watched(admin_context):
    """(page, its CSP violations, its console messages about the policy) in the Admin's context."""
    context, violations = admin_context
    violations.clear()
    page = context.new_page()
    yield page, violations, _watch_console(page)
    page.close()


#: (name, path, a selector that shows the page really rendered): every page of the portal, and the API's docs.
PAGES = [
    ("home", "/", "#home-tasks a"),
    ("board", "/board", "#board section[data-status='In Progress'] [data-task-id]"),
    ("tasks", "/tasks", ".ag-row"),
    ("cases", "/cases", "#cases-list tr[data-case-id='{case}']"),
    ("case", "/cases/{case}", "#case-header h1"),
    ("task", "/tasks/{task}", "#task-fields h1"),
    ("analytics", "/analytics", "#analytics-sla-priority .main-svg"),
    ("workload", "/workload", "#workload-assignees .main-svg"),
    ("new-task", "/new-task", "#new-task-form"),
    ("notifications", "/notifications", "#notifications-list .notification-item"),
    ("preferences", "/preferences", "#preferences-save"),
    ("admin-users", "/admin/users", "#admin-users-list tr"),
    ("admin-sla", "/admin/sla", "#sla-settings-calendar-save"),
    ("api-docs", "/api/docs/", ".swagger-ui .opblock"),
]


def _assert_clean(watched, response) -> None:
    page, violations, console = watched
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    page.wait_for_timeout(500)  # late renders (Plotly's resize, AG Grid's rows) may still inject
    assert violations == []
    assert console == []


@pytest.mark.parametrize(("path", "selector"), [page[1:] for page in PAGES], ids=[page[0] for page in PAGES])
def test_each_page_renders_without_a_csp_violation(watched, live_server, admin_data, path, selector):
    _admin, case, task = admin_data
    path, selector = (text.format(case=case.id, task=task.id) for text in (path, selector))
    page = watched[0]
    response = page.goto(f"{live_server.url}{path}")
    assert response.status == 200
    page.locator(selector).first.wait_for(state="visible")
    _assert_clean(watched, response)


def test_clientside_callbacks_run_under_the_policy(watched, live_server, admin_data):
    """The bell and the theme toggle are clientside callbacks: inline scripts allowed by their hashes."""
    page = watched[0]
    response = page.goto(f"{live_server.url}/")
    page.wait_for_selector("#home-tasks a")
    page.click("#bell-toggle")
    page.wait_for_selector("#bell-menu.show #bell-list .bell-item")
    other = "light" if page.get_attribute("html", "data-bs-theme") == "dark" else "dark"
    page.click("#theme-toggle")
    # Not wait_for_function: Playwright polls it with eval, which the policy refuses.
    page.wait_for_selector(f"html[data-bs-theme='{other}']", state="attached")
    _assert_clean(watched, response)


def test_grid_editors_and_chart_hovers_draw_under_the_policy(watched, live_server, admin_data):
    """AG Grid's editors and Plotly's hover labels are drawn at run time, after the page has loaded."""
    page = watched[0]
    response = page.goto(f"{live_server.url}/tasks")
    # An Admin may move any task, and every status has a move for them.
    page.locator(".ag-row [col-id=status]").first.dblclick()
    page.locator(".ag-cell-inline-editing .ag-picker-field-wrapper, .ag-popup-editor .ag-picker-field-wrapper").first.click()
    page.locator(".ag-list-item, .ag-select-list-item").first.wait_for()
    page.keyboard.press("Escape")
    _assert_clean(watched, response)
    response = page.goto(f"{live_server.url}/analytics")
    page.locator("#analytics-sla-priority .main-svg").first.wait_for()
    page.hover("#analytics-sla-priority .plot-container")
    _assert_clean(watched, response)


def test_the_sign_in_page_renders_without_a_csp_violation(browser, live_server):
    context, violations = _listening_context(browser)
    page = context.new_page()
    console = _watch_console(page)
    response = page.goto(f"{live_server.url}/login")
    page.wait_for_selector("#username")
    _assert_clean((page, violations, console), response)
    context.close()
