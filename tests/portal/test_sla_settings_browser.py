"""SLA settings in a real browser: targets with the business-hours flag, the calendar with holidays, who may see it."""
from datetime import date, time

import pytest

from db.models import Priority, Role
from domain import calendar
from domain import sla as sla_rules
from reports import policy
from tests.portal.conftest import screenshot, sign_in
from workflow import sla as sla_policy

pytestmark = pytest.mark.live


def _set_policy(admin, minutes: dict, flags: dict, work: calendar.WorkCalendar) -> None:
    sla_policy.set_targets(actor=admin, targets={p.value: {"minutes": minutes[p], "business_hours": flags[p]} for p in Priority})
    sla_policy.set_calendar(actor=admin, calendar_payload=calendar.calendar_payload(work))


@pytest.fixture
def default_policy(live_server, portal_user):
    """The default targets and calendar for the test (other tests, the API fuzzing too, share the
    live server's database), and what was there before put back afterwards."""
    admin = portal_user(Role.ADMIN)
    with live_server.app.app_context():
        minutes, flags, work = policy.get_targets(), policy.get_business_hours(), policy.get_calendar()
        _set_policy(admin, sla_rules.DEFAULT_TARGET_MINUTES, dict.fromkeys(Priority, False), calendar.DEFAULT_CALENDAR)
    yield
    with live_server.app.app_context():
        _set_policy(admin, minutes, flags, work)


def open_settings(page, live_server, user):
    sign_in(page, live_server.url, user, next_path="/admin/sla")
    page.wait_for_selector("#sla-settings-calendar-save")


def test_admin_sets_a_holiday_and_a_business_hours_target_and_they_stay_after_reload(page, live_server, portal_user, default_policy):
    admin = portal_user(Role.ADMIN)
    with live_server.app.app_context():
        before = policy.get_calendar()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_settings(page, live_server, admin)
    assert page.locator("nav a[href='/admin/sla']").count() == 1

    # Targets: a bad number is shown under its field and nothing is saved.
    page.fill("#sla-settings-hours-High", "0.001")
    page.check("#sla-settings-business-High")
    page.click("#sla-settings-targets-save")
    page.wait_for_selector("#sla-settings-hours-High.is-invalid")
    assert "whole minutes" in page.inner_text("#sla-settings-hours-High-error").lower()
    with live_server.app.app_context():
        assert policy.get_business_hours()[Priority.HIGH] is False
    page.fill("#sla-settings-hours-High", "6.5")
    page.click("#sla-settings-targets-save")
    page.wait_for_selector("#sla-settings-targets-message:has-text('saved')")
    assert page.locator("#sla-settings-hours-High.is-invalid").count() == 0
    with live_server.app.app_context():
        assert policy.get_targets()[Priority.HIGH] == 390 and policy.get_business_hours()[Priority.HIGH] is True

    # Calendar: a bad line and a closing time before opening are shown where they are, nothing is saved.
    page.select_option("#sla-settings-timezone", "Europe/London")
    page.fill("#sla-settings-end-Friday", "08:00")
    page.fill("#sla-settings-holidays", "2026-12-25 Christmas Day\n\n2026-02-30 No such day")
    page.click("#sla-settings-calendar-save")
    page.wait_for_selector("#sla-settings-holidays.is-invalid")
    assert "Line 3" in page.inner_text("#sla-settings-holidays-error")
    assert "after the opening time" in page.inner_text("#sla-settings-day-Friday-error")
    with live_server.app.app_context():
        assert policy.get_calendar() == before

    page.fill("#sla-settings-end-Friday", "15:30")
    page.uncheck("#sla-settings-open-Wednesday")
    page.fill("#sla-settings-holidays", "2026-12-28 Boxing Day (substitute)\n2026-12-25   Christmas Day\n")
    page.click("#sla-settings-calendar-save")
    page.wait_for_selector("#sla-settings-calendar-message:has-text('saved')")
    assert page.locator("#sla-settings-holidays.is-invalid").count() == 0
    assert page.inner_text("#sla-settings-day-Friday-error") == ""
    with live_server.app.app_context():
        saved = policy.get_calendar()
    assert saved.timezone == "Europe/London"
    assert saved.holiday_list() == [(date(2026, 12, 25), "Christmas Day"), (date(2026, 12, 28), "Boxing Day (substitute)")]
    assert saved.hours[4] == (time(9), time(15, 30)) and saved.hours[2] is None

    page.reload()
    page.wait_for_selector("#sla-settings-calendar-save")
    assert page.input_value("#sla-settings-holidays") == "2026-12-25 Christmas Day\n2026-12-28 Boxing Day (substitute)"
    assert page.is_checked("#sla-settings-business-High") and not page.is_checked("#sla-settings-business-Low")
    assert page.input_value("#sla-settings-hours-High") == "6.5"
    assert page.input_value("#sla-settings-timezone") == "Europe/London"
    assert page.input_value("#sla-settings-end-Friday") == "15:30"
    assert not page.is_checked("#sla-settings-open-Wednesday") and page.is_disabled("#sla-settings-start-Wednesday")
    screenshot(page, "sla-settings")
    assert dialogs == []


@pytest.mark.parametrize("role", [Role.AGENT, Role.VIEWER])
def test_agents_and_viewers_do_not_open_the_sla_settings(page, live_server, portal_user, role):
    sign_in(page, live_server.url, portal_user(role), next_path="/admin/sla")
    page.wait_for_selector("#sla-settings-denied")
    assert "Only managers and admins" in page.inner_text("#sla-settings-denied")
    assert page.locator("#sla-settings-calendar-save, #sla-settings-targets-save, #sla-settings-holidays").count() == 0
    assert page.locator("a[href='/admin/sla']").count() == 0

