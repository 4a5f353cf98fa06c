"""The audit log page in a real browser: an Admin reads who did what, filters it, exports it; nobody else sees it."""
import csv
import io

import pytest
import requests

from db.models import Role
from tests.portal.conftest import screenshot, sign_in
from workflow import users

pytestmark = pytest.mark.live


def test_an_admin_reads_filters_and_exports_the_log(page, live_server, portal_user):
    admin = portal_user(Role.ADMIN)
    agent = portal_user(Role.AGENT)
    with live_server.app.app_context():
        users.update_user(actor=admin, user_id=agent.id, changes={"full_name": "Renamed In The Audit Test"})
    sign_in(page, live_server.url, admin, next_path="/admin/audit")
    page.wait_for_selector("#admin-audit-list tr")
    # Reached from the admin menu too.
    assert page.locator("#nav-admin-menu a[href='/admin/audit'], a[href='/admin/audit']").count() >= 1
    # Its own sign-in is the newest entry, in words, with the address.
    first = page.locator("#admin-audit-list tr").first
    assert "Signed in" in first.inner_text() and admin.username in first.inner_text()

    page.locator("#admin-audit-subject").click()
    page.locator(".Select-menu-outer, [role=listbox]").get_by_text("Users", exact=True).click()
    # The list is reloaded for the subject: no sign-in left in it.
    page.wait_for_function("""() => [...document.querySelectorAll('#admin-audit-list tr')]
        .every((row) => !row.innerText.includes('Signed in'))""")
    renamed = page.locator("#admin-audit-list tr", has_text="Changed a user").filter(has_text="Renamed In The Audit Test")
    renamed.wait_for()
    # The user acted on by name (now the new one), the change as before → after.
    assert "user Renamed In The Audit Test" in renamed.inner_text() and "→ Renamed In The Audit Test" in renamed.inner_text()
    screenshot(page, "admin-audit")

    page.click("#admin-audit-export-start")
    link = page.locator("#admin-audit-export-result a")
    link.wait_for(timeout=30_000)
    downloaded = requests.get(link.get_attribute("href") if link.get_attribute("href").startswith("http")
                              else live_server.url + link.get_attribute("href"),
                              cookies={c["name"]: c["value"] for c in page.context.cookies()}, timeout=10)
    rows = list(csv.DictReader(io.StringIO(downloaded.text)))
    assert rows and {row["action"].split(".")[0] for row in rows} == {"user"}
    assert any(row["target_id"] == str(agent.id) for row in rows)


@pytest.mark.parametrize("role", [Role.MANAGER, Role.AGENT, Role.VIEWER])
def test_no_one_else_reads_it(page, live_server, portal_user, role):
    sign_in(page, live_server.url, portal_user(role), next_path="/admin/audit")
    page.wait_for_selector("#admin-audit-denied")
    assert page.locator("#admin-audit-list").count() == 0
    assert page.locator("a[href='/admin/audit']").count() == 0
