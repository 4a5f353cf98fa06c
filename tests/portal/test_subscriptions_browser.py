"""Report subscriptions in a real browser: "Subscribe" on the analytics page, then the profile lists it (with its
runs once made) and deletes it."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from db import session
from db.models import ReportSubscription, Role
from db.types import utcnow
from tests.portal.conftest import sign_in
from workflow import subscriptions

pytestmark = pytest.mark.live


def test_subscribe_on_the_analytics_page_and_manage_it_on_the_profile(page, live_server, portal_user, tmp_path):
    live_server.app.config["LOCAL_STORAGE_DIR"] = str(tmp_path / "store")
    manager = portal_user(Role.MANAGER)
    sign_in(page, live_server.url, manager, next_path="/analytics")
    page.wait_for_selector("#analytics-subscribe-button")
    page.select_option("#analytics-subscribe-frequency", "daily")
    page.select_option("#analytics-subscribe-hour", "6")
    page.click("#analytics-subscribe-button")
    page.wait_for_selector("#analytics-subscribe-result .alert-success")
    assert "daily at 06:00 (UTC)" in page.inner_text("#analytics-subscribe-result")

    with live_server.app.app_context():
        [subscription] = session.scalars(select(ReportSubscription).where(ReportSubscription.user_id == manager.id))
        assert subscriptions.run_subscription(subscription_id=subscription.id, now=utcnow() + timedelta(days=1)) == "done"
        session.remove()

    page.goto(f"{live_server.url}/profile")
    page.wait_for_selector("#subscriptions-list .list-group-item")
    item = page.inner_text("#subscriptions-list")
    assert "SLA report · by priority" in item and "Daily at 06:00 (UTC)" in item and "row" in item
    link = page.locator("#subscriptions-list a", has_text="row").first.get_attribute("href")
    assert page.request.get(link).status == 200
    page.click("#subscriptions-list button:has-text('Delete')")
    page.wait_for_selector("#subscriptions-message .alert-success")
    assert "You have no report subscriptions." in page.inner_text("#subscriptions-list")
