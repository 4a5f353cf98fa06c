"""Report subscriptions in the portal, at the callbacks' level: "Subscribe" on the analytics page takes the chosen
table and the page's filters (not its dates), an Agent is refused; the profile lists them with their runs and
deletes them."""
from contextlib import contextmanager
from datetime import datetime, timezone

import pytest
from flask_login import login_user

from auth import SessionUser
from db.models import Role
from portal import ids
from workflow import subscriptions


@pytest.fixture
def pages(app):
    """The page modules and the panel, imported once Dash (made by the app) may register pages."""
    from portal.components import subscriptions_panel
    from portal.pages import analytics, profile

    return analytics, profile, subscriptions_panel


@contextmanager
def signed_in(app, user):
    with app.test_request_context("/_dash-update-component", method="POST"):
        login_user(SessionUser(user))
        yield


def _text(component) -> str:
    """Every string inside a Dash component tree."""
    if isinstance(component, str):
        return component
    if isinstance(component, (list, tuple)):
        return " ".join(_text(part) for part in component)
    children = getattr(component, "children", None)
    return _text(children) if children is not None else ""


def _ids(component) -> list:
    found = [component.id] if getattr(component, "id", None) is not None else []
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else ([children] if children is not None else []):
        found += _ids(child)
    return found


def test_subscribe_from_the_analytics_page_and_manage_it_on_the_profile(app, pages, make_user, tmp_path):
    analytics, profile, panel = pages
    app.config["LOCAL_STORAGE_DIR"] = str(tmp_path / "store")
    manager = make_user(Role.MANAGER)
    with signed_in(app, manager):
        said = analytics.subscribe(1, "sla:by_week", "2026-11-02", "2026-11-29", "Support", None, "High", "",
                                   "weekly", "2", "9")
    assert said.color == "success"
    assert "Subscribed: SLA report · by week, weekly on Wednesday at 09:00 (UTC)." in _text(said)
    with app.app_context():
        [subscription] = subscriptions.list_subscriptions(actor=manager, limit=5, cursor=None).items
        assert (subscription.report, subscription.frequency, subscription.weekday, subscription.hour) == ("sla", "weekly", 2, 9)
        assert subscription.filters == {"department": "Support", "priority": "High", "table": "by_week"}
        assert subscriptions.run_due(now=datetime(2030, 1, 2, 9, 0, tzinfo=timezone.utc)) == 1

    with signed_in(app, manager):
        section = panel.section(manager)
        shown = _text(section)
        assert "SLA report · by week" in shown and "Weekly on Wednesday at 09:00 (UTC)" in shown
        assert "the week of 31 Dec 2029" in shown
        delete_id = {"type": ids.SUBSCRIPTIONS_DELETE, "subscription": str(subscription.id)}
        assert delete_id in _ids(section)
        # Drawn again without a click: nothing happens.
        assert panel.delete(delete_id, None) == (panel.no_update, panel.no_update)
        listing, message = panel.delete(delete_id, 1)
        assert "Subscription deleted." in _text(message) and "You have no report subscriptions." in _text(listing)


def test_subscribe_to_a_saved_view_from_the_task_table(app, pages, make_user):
    from portal.pages import tasks_table
    from workflow import saved_views

    agent = make_user(Role.AGENT)
    with app.app_context():
        view = saved_views.save_view(actor=agent, name="Mine", state={"filters": {"scope": "mine"}})
    with signed_in(app, agent):
        assert tasks_table.subscribe_to_view(1, "", "daily", "0", "8").color == "warning"
        said = tasks_table.subscribe_to_view(1, str(view.id), "daily", "0", "8")
    assert said.color == "success" and "Subscribed: Saved view 'Mine', daily at 08:00 (UTC)." in _text(said)
    with app.app_context():
        [subscription] = subscriptions.list_subscriptions(actor=agent, limit=5, cursor=None).items
        assert (subscription.report, subscription.weekday) == (f"view:{view.id}", None)


def test_an_agent_is_told_analytics_are_not_theirs(app, pages, make_user):
    analytics, _profile, _panel = pages
    agent = make_user(Role.AGENT)
    with signed_in(app, agent):
        said = analytics.subscribe(1, "workload:by_assignee", None, None, None, None, None, "", "daily", "0", "7")
    assert said.color == "danger" and "Not subscribed: analytics are for managers, admins and viewers" in _text(said)
    with app.app_context():
        assert subscriptions.list_subscriptions(actor=agent, limit=5, cursor=None).items == []
