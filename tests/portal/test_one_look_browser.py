"""One look across the portal in a real browser: the navbar on one line, the 404 page, the users table's
addresses and empty state, and preferences that say which channels this server delivers."""
import uuid

import pytest
import requests

from config import EmbeddedConfig
from db.models import NotificationType, Role
from notifications import preferences
from portal.shell import pages_for
from tests.portal.conftest import VIEWPORTS, screenshot, sign_in
from workflow import notifications as notices
from workflow import users

pytestmark = pytest.mark.live

#: Where each of the navbar's top-level entries sits: the links, the Admin menu, the bell, the theme, the user.
NAVBAR_BOXES = """() => {
    const box = (el) => { const r = el.getBoundingClientRect(); return {text: el.textContent.trim(), top: r.top, mid: r.top + r.height / 2}; };
    const navbar = document.querySelector('.app-navbar');
    return {
        links: [...navbar.querySelectorAll('.navbar-nav > .nav-item')].map(box),
        others: [...navbar.querySelectorAll('.navbar-brand, .bell > button, #theme-toggle, #nav-user, form[action="/logout"] button')].map(box),
        height: navbar.getBoundingClientRect().height,
        width: document.documentElement.scrollWidth,
    };
}"""


def assert_fits_a_phone(page) -> None:
    """At 390 px nothing reaches past the screen's right edge (the page does not scroll sideways)."""
    page.set_viewport_size(VIEWPORTS["phone"])
    page.wait_for_timeout(200)
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS["phone"]["width"]
    page.set_viewport_size(VIEWPORTS["desktop"])


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_the_navbar_is_one_line_at_1440_for_every_role(page, live_server, portal_user, role):
    # A long name is the hardest case: it is cut short, never pushed onto a second line.
    user = portal_user(role, full_name="Maximiliana Featherstonehaugh-Worthington")
    sign_in(page, live_server.url, user)
    page.wait_for_selector("#home-tasks")
    boxes = page.evaluate(NAVBAR_BOXES)
    assert len({round(link["top"]) for link in boxes["links"]}) == 1, boxes["links"]
    line = boxes["links"][0]["mid"]
    assert all(abs(other["mid"] - line) < 6 for other in boxes["others"]), (line, boxes["others"])
    assert boxes["height"] < 70 and boxes["width"] <= VIEWPORTS["desktop"]["width"]
    admin_links = page.locator("#nav-admin-menu a[href^='/admin/']")
    assert admin_links.count() == len([path for _, path, _ in pages_for(user) if path.startswith("/admin/")])
    assert admin_links.count() >= (2 if role == Role.ADMIN else 0)
    assert page.locator(".app-navbar .navbar-nav > .nav-item > a[href^='/admin/']").count() == 0


def test_the_admin_menu_opens_the_admin_pages(page, live_server, portal_user):
    sign_in(page, live_server.url, portal_user(Role.ADMIN))
    page.wait_for_selector("#home-tasks")
    page.click("#nav-admin-menu .dropdown-toggle")
    page.click("#nav-admin-menu a[href='/admin/users']")
    page.wait_for_selector("#admin-users-list")
    page.wait_for_selector("#nav-admin-menu .dropdown-toggle.active")
    page.click("#nav-admin-menu .dropdown-toggle")
    page.click("#nav-admin-menu a[href='/admin/sla']")
    page.wait_for_url(f"{live_server.url}/admin/sla")


def test_an_unknown_address_gets_the_portals_404_page_with_a_way_back(page, live_server, portal_user):
    agent = portal_user(Role.AGENT)
    anonymous = requests.get(f"{live_server.url}/no/such/page", allow_redirects=False, timeout=10)
    assert anonymous.status_code == 302 and "/login?next=" in anonymous.headers["Location"]

    sign_in(page, live_server.url, agent)
    page.wait_for_selector("#home-tasks")
    response = page.goto(f"{live_server.url}/no/such/page")
    assert response.status == 404
    page.wait_for_selector("#not-found")
    assert page.title() == "Page not found · Workflow Manager"
    assert "404 - Page not found" not in page.inner_text("body")
    assert page.is_visible("#nav-user") and page.is_visible("#bell-toggle")
    assert "no page at this address" in page.inner_text("#not-found")
    links = page.eval_on_selector_all("#not-found-pages a", "links => links.map(a => a.getAttribute('href'))")
    assert {"/", "/board", "/tasks", "/cases", "/new-task", "/notifications", "/preferences"} <= set(links)
    assert not any(link.startswith("/admin/") for link in links)  # only the pages this user may open
    assert_fits_a_phone(page)
    screenshot(page, "not-found")

    for known in ("/tasks", "/admin/users", f"/tasks/{uuid.uuid4()}"):
        assert page.request.get(f"{live_server.url}{known}").status == 200, known
    page.click("#not-found a:has-text('Back to My work')")
    page.wait_for_selector("#home-tasks")
    assert page.url == f"{live_server.url}/"


def test_the_users_table_never_breaks_an_address_inside_a_word(page, live_server, portal_user):
    admin = portal_user(Role.ADMIN)
    suffix = uuid.uuid4().hex[:4]
    address = f"maximiliana.featherstone.{suffix}@customer-services.example.com"
    with live_server.app.app_context():
        long_one = users.create_user(
            actor=None, username=f"mfeather_{suffix}", email=address, full_name="Maximiliana Featherstone",
            role=Role.AGENT, password="a-long-enough-password",
        )
    sign_in(page, live_server.url, admin, next_path="/admin/users")
    page.wait_for_selector("#admin-users-list tr")
    page.fill("#admin-users-q", long_one.username)
    row = page.locator(f"#admin-users-list tr[data-user-id='{long_one.id}']")
    row.wait_for()
    page.wait_for_function("document.querySelectorAll('#admin-users-list tr').length === 1")
    parts_js = """row => [...row.querySelectorAll('.user-email-part')].filter(el => el.offsetParent !== null).map(el => ({
        text: el.textContent, height: el.getBoundingClientRect().height, line: parseFloat(getComputedStyle(el).lineHeight),
        title: el.closest('[title]') && el.closest('[title]').getAttribute('title')}))"""
    for size in ("desktop", "phone"):
        page.set_viewport_size(VIEWPORTS[size])
        page.wait_for_timeout(200)
        parts = row.evaluate(parts_js)
        # Shown once per size (its own column on a desktop, under the username on a phone), split only before "@".
        assert "".join(part["text"] for part in parts) == address, (size, parts)
        assert [part["text"][:1] for part in parts] == ["m", "@"]
        assert all(part["height"] < part["line"] * 1.5 for part in parts), (size, parts)
        assert all(part["title"] == address for part in parts)
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[size]["width"]
        edit = row.locator("button:has-text('Edit')").bounding_box()
        assert edit["x"] + edit["width"] <= VIEWPORTS[size]["width"], size
    page.set_viewport_size(VIEWPORTS["desktop"])

    page.fill("#admin-users-q", f"nobody-{uuid.uuid4().hex[:8]}")
    page.wait_for_selector("#admin-users-empty")
    assert "No users match these filters." in page.inner_text("#admin-users-empty")
    page.click("#admin-users-clear")
    page.wait_for_function("document.querySelectorAll('#admin-users-list tr[data-user-id]').length > 1")
    assert page.input_value("#admin-users-q") == ""
    assert page.locator("#admin-users-empty").count() == 0


#: The embedded default's channel settings (`python app.py` with nothing configured).
EMBEDDED_CHANNELS = {name: getattr(EmbeddedConfig, name) for name in ("SMTP_URL", "MAIL_SES", "SMS_ENABLED")}


def test_preferences_switch_off_what_the_embedded_default_cannot_deliver(page, live_server, portal_user, monkeypatch):
    if any(EMBEDDED_CHANNELS.values()):
        pytest.skip(f"this environment configures a channel for the embedded default: {EMBEDDED_CHANNELS}")
    for name, value in EMBEDDED_CHANNELS.items():
        monkeypatch.setitem(live_server.app.config, name, value)
    agent = portal_user(Role.AGENT)
    with live_server.app.app_context():
        # A choice made while email was delivered: kept for the day it is delivered again.
        notices.update_settings(user=agent, changes={NotificationType.COMMENT: {"in_app": True, "email": True}})
    sign_in(page, live_server.url, agent, next_path="/preferences")
    page.wait_for_selector("#preferences-channels")
    note = page.inner_text("#preferences-channels")
    assert "This server delivers in-app notifications only" in note
    assert "Email is not available on this server" in note and "SMS is not available on this server" in note
    assert "SMTP_URL" not in note  # the settings are named to Admins only
    for kind in NotificationType:
        assert page.get_by_label(f"{kind.value} by In-app").is_enabled()
        for channel in ("Email", "SMS"):
            switch = page.get_by_label(f"{kind.value} by {channel}")
            assert switch.is_disabled() and not switch.is_checked(), (kind, channel)
    assert page.is_disabled("#preferences-email-mode input >> nth=0")
    assert_fits_a_phone(page)
    screenshot(page, "preferences-channels")

    page.get_by_label("Comment by In-app").uncheck()
    page.click("#preferences-save")
    page.wait_for_selector("#preferences-message :text('Saved.')")
    with live_server.app.app_context():
        assert preferences.get_settings(user=agent)["Comment"] == {"in_app": False, "email": True, "sms": False}

    page.context.clear_cookies()
    sign_in(page, live_server.url, portal_user(Role.ADMIN), next_path="/preferences")
    page.wait_for_selector("#preferences-channels")
    assert "SMTP_URL" in page.inner_text("#preferences-channels")
    assert page.get_by_label("Comment by Email").first.is_disabled()  # the defaults grid too


def test_preferences_offer_every_channel_the_server_delivers(page, live_server, portal_user, monkeypatch):
    monkeypatch.setitem(live_server.app.config, "SMTP_URL", "smtp://127.0.0.1:9")
    monkeypatch.setitem(live_server.app.config, "SMS_ENABLED", True)
    sign_in(page, live_server.url, portal_user(Role.AGENT), next_path="/preferences")
    page.get_by_label("Comment by SMS").wait_for()
    assert page.locator("#preferences-channels").inner_text() == ""
    assert page.get_by_label("Comment by Email").is_enabled() and page.get_by_label("Comment by SMS").is_enabled()
    assert page.is_enabled("#preferences-email-mode input >> nth=0")
