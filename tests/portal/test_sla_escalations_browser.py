"""The SLA settings' Escalations card in a real browser: a bad share is refused under its field, a good change
is saved and still there after a reload."""
import pytest

from db.models import Priority, Role
from domain.escalations import DEFAULT_RULE, rules_json
from tests.portal.conftest import sign_in
from workflow import escalations

pytestmark = pytest.mark.live


@pytest.fixture
def default_rules(live_server, portal_user):
    """The default rules for the test (the live server's database is shared), and the previous ones put back."""
    admin = portal_user(Role.ADMIN)
    with live_server.app.app_context():
        before = rules_json(escalations.get_rules())
        escalations.set_rules(actor=admin, changes=rules_json(dict.fromkeys(Priority, DEFAULT_RULE)))
    yield admin
    with live_server.app.app_context():
        escalations.set_rules(actor=admin, changes=before)


def test_admin_sets_the_escalations_of_a_priority_and_they_stay_after_reload(page, live_server, default_rules):
    admin = default_rules
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, live_server.url, admin, next_path="/admin/sla")
    page.wait_for_selector("#sla-escalations-save")
    assert page.input_value("#sla-escalation-percent-High") == "75"
    assert page.is_checked("#sla-escalation-warn-High") and page.is_checked("#sla-escalation-breach-High")

    page.fill("#sla-escalation-percent-High", "100")
    page.check("#sla-escalation-raise-High")
    page.click("#sla-escalations-save")
    page.wait_for_selector("#sla-escalation-percent-High.is-invalid")
    assert "from 1 to 99" in page.inner_text("#sla-escalation-percent-High-error")
    with live_server.app.app_context():
        assert escalations.get_rules()[Priority.HIGH] == DEFAULT_RULE

    page.fill("#sla-escalation-percent-High", "60")
    page.uncheck("#sla-escalation-warn-Low")
    page.click("#sla-escalations-save")
    page.wait_for_selector("#sla-escalations-message:has-text('saved')")
    assert page.locator("#sla-escalation-percent-High.is-invalid").count() == 0
    with live_server.app.app_context():
        saved = escalations.get_rules()
    assert (saved[Priority.HIGH].warning_percent, saved[Priority.HIGH].raise_priority) == (60, True)
    assert saved[Priority.LOW].warning_enabled is False and saved[Priority.CRITICAL] == DEFAULT_RULE

    page.reload()
    page.wait_for_selector("#sla-escalations-save")
    assert page.input_value("#sla-escalation-percent-High") == "60"
    assert page.is_checked("#sla-escalation-raise-High") and not page.is_checked("#sla-escalation-warn-Low")
    assert dialogs == []


def test_a_manager_sets_the_escalations_but_not_the_targets(page, live_server, portal_user, default_rules):
    manager = portal_user(Role.MANAGER)
    sign_in(page, live_server.url, manager, next_path="/admin/sla")
    page.wait_for_selector("#sla-escalations-save")
    assert page.locator("#sla-settings-calendar-save, #sla-settings-targets-save, #sla-settings-holidays").count() == 0
    assert "set by an Admin" in page.inner_text("body")
    page.fill("#sla-escalation-percent-Critical", "50")
    page.click("#sla-escalations-save")
    page.wait_for_selector("#sla-escalations-message:has-text('saved')")
    with live_server.app.app_context():
        assert escalations.get_rules()[Priority.CRITICAL].warning_percent == 50
