"""The Admin's webhooks page in a real browser: a private address refused, an endpoint added with its secret
shown once, a test event that reaches a real receiver signed with that secret, its delivery shown, a deletion
asked first; other roles are refused."""
import json

import pytest

from db.models import Role
from notifications import dispatcher
from tests.notifications.test_webhooks import receiver, verify  # noqa: F401 (a fixture)
from tests.portal.conftest import screenshot, sign_in

pytestmark = pytest.mark.live


def _drain(live_server) -> None:
    with live_server.app.app_context():
        dispatcher.drain()


def test_an_admin_adds_tests_and_deletes_an_endpoint(page, live_server, portal_user, receiver, monkeypatch):
    admin = portal_user(Role.ADMIN)
    monkeypatch.setitem(live_server.app.config, "WEBHOOK_ALLOW_PRIVATE_NETWORKS", False)
    monkeypatch.setitem(live_server.app.config, "OUTBOX_SEND_TIMEOUT_SECONDS", 3)
    sign_in(page, live_server.url, admin, next_path="/admin/webhooks")
    page.wait_for_selector("#webhooks-add")
    assert page.locator("nav a[href='/admin/webhooks']").count() == 1

    # A loopback receiver is refused while private networks are not allowed; nothing is added.
    page.fill("#webhooks-url", receiver.url)
    page.click("#webhooks-add")
    page.wait_for_selector("#webhooks-message .alert-danger")
    assert "may not reach" in page.inner_text("#webhooks-message")
    assert "No endpoints yet" in page.inner_text("#webhooks-list") or receiver.url not in page.inner_text("#webhooks-list")

    monkeypatch.setitem(live_server.app.config, "WEBHOOK_ALLOW_PRIVATE_NETWORKS", True)
    page.get_by_label("Export ready").check()
    page.click("#webhooks-add")
    page.wait_for_selector("#webhooks-secret-shown")
    secret = page.input_value("#webhooks-secret-shown")
    assert secret.startswith("whsec_")
    row = page.locator("#webhooks-list tr", has_text=receiver.url)
    row.wait_for()
    assert "No deliveries yet" in row.inner_text() and "Export ready" in row.inner_text()
    screenshot(page, "admin-webhooks")

    row.get_by_role("button", name="Send test").click()
    page.wait_for_selector("#webhooks-message:has-text('Test event queued')")
    _drain(live_server)
    (request,) = receiver.received
    assert request["headers"]["X-Workflow-Event"] == "ping"
    assert verify(secret, request["body"], request["headers"]["X-Workflow-Signature"])
    assert json.loads(request["body"])["data"]["sent_by"] == admin.username
    page.click("#webhooks-refresh")
    page.wait_for_selector(f"#webhooks-list tr:has-text('{receiver.url}') .badge:has-text('sent')")

    # Deleting asks first; "Cancel" keeps it.
    row.get_by_role("button", name="Delete").click()
    page.wait_for_selector("#webhooks-confirm-text:has-text('cannot be undone')")
    page.click("#webhooks-confirm-no")
    page.wait_for_selector("#webhooks-confirm", state="hidden")
    assert page.locator("#webhooks-list tr", has_text=receiver.url).count() == 1
    row.get_by_role("button", name="Delete").click()
    page.click("#webhooks-confirm-yes")
    page.wait_for_selector("#webhooks-message:has-text('Endpoint deleted')")
    page.wait_for_selector(f"#webhooks-list tr:has-text('{receiver.url}')", state="detached")

    # The secret is not on the page once reloaded.
    page.reload()
    page.wait_for_selector("#webhooks-add")
    assert secret not in page.content()


@pytest.mark.parametrize("role", [Role.MANAGER, Role.AGENT, Role.VIEWER])
def test_other_roles_are_refused(page, live_server, portal_user, role):
    sign_in(page, live_server.url, portal_user(role), next_path="/admin/webhooks")
    page.wait_for_selector("#webhooks-denied")
    assert page.locator("nav a[href='/admin/webhooks']").count() == 0
    assert page.locator("#webhooks-add").count() == 0
