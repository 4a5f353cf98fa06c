"""Browser fixtures: Playwright driving Debian's Chromium against the live server."""
import os
import shutil
import uuid
from pathlib import Path

import pytest

from db.models import Role
from tests.conftest import PASSWORD
from workflow import users

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
#: Screenshots of each page at each size land here (CI keeps them as artifacts).
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"))
VIEWPORTS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium is required (REQUIRE_BROWSER=1) but {CHROMIUM} is missing")
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium package to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    # Playwright's wait_for_function polls with eval, which the portal's CSP forbids; test_csp_browser.py
    # checks every page under the policy.
    context = browser.new_context(viewport=VIEWPORTS["desktop"], bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def portal_user(live_server):
    """Create a user of a role on the live server's database; returns (user, password)."""

    def make(role: Role, full_name: str | None = None):
        suffix = uuid.uuid4().hex[:6]
        with live_server.app.app_context():
            user = users.create_user(
                actor=None, username=f"{role.value.lower()}_{suffix}", email=f"{role.value.lower()}_{suffix}@example.com",
                full_name=full_name or f"{role.value} {suffix}", role=role, password=PASSWORD,
            )
        return user

    return make


def sign_in(page, base_url: str, user, password: str = PASSWORD, next_path: str = "/"):
    page.goto(f"{base_url}{next_path}")
    page.fill("#username", user.username)
    page.fill("#password", password)
    page.click("button[type=submit]")


def screenshot(page, name: str) -> None:
    """Save the page at desktop and phone sizes."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for size, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        page.wait_for_timeout(300)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{size}.png"))
    page.set_viewport_size(VIEWPORTS["desktop"])
