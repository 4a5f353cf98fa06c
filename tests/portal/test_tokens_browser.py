"""Service tokens on the profile page, in a real browser: created with the secret shown once, used against the
API of the same server, revoked after a question, then refused; an Admin revokes someone else's."""
import pytest
import requests

from db.models import Role
from tests.portal.conftest import screenshot, sign_in
from workflow import tokens

pytestmark = pytest.mark.live


def _api(live_server, secret: str, method: str = "GET", path: str = "/api/tasks", **options) -> requests.Response:
    return requests.request(method, f"{live_server.url}{path}", headers={"Authorization": f"Bearer {secret}"},
                            timeout=10, **options)


def test_a_token_made_on_the_profile_page_works_until_revoked(page, live_server, portal_user):
    agent = portal_user(Role.AGENT)
    sign_in(page, live_server.url, agent, next_path="/profile")
    page.wait_for_selector("#tokens-create")
    assert "You have no service tokens." in page.inner_text("#tokens-own")

    # A refusal in a sentence: the name is required.
    page.click("#tokens-create")
    page.wait_for_selector("#tokens-message .alert-danger")
    assert page.inner_text("#tokens-message") == "Not created. The name is required."

    page.fill("#tokens-name", "Reporting script")
    page.select_option("#tokens-expiry", "30")
    page.click("#tokens-create")
    page.wait_for_selector("#tokens-secret")
    secret = page.input_value("#tokens-secret")
    assert secret.startswith("wm_pat_")
    assert "Copy it now: it is not shown again." in page.inner_text("#tokens-created")
    assert page.inner_text("#tokens-message") == ""
    page.wait_for_selector("#tokens-own >> text=Reporting script")
    assert "Read only" in page.inner_text("#tokens-own")
    screenshot(page, "profile-tokens")

    # The same server's API takes it, for reading only.
    assert _api(live_server, secret).status_code == 200
    refused = _api(live_server, secret, "POST", json={"title": "From a script"})
    assert refused.status_code == 403 and "read-only" in refused.json()["error"]["message"]

    # Never shown again: a reload lists the token by its prefix only.
    page.reload()
    page.wait_for_selector("#tokens-own >> text=Reporting script")
    assert page.locator("#tokens-secret").count() == 0
    assert secret not in page.content() and secret[:15] in page.inner_text("#tokens-own")

    # Revoking asks first; "Cancel" keeps the token.
    page.click("#tokens-own button:has-text('Revoke')")
    page.wait_for_selector("#tokens-confirm-text >> text=Reporting script")
    page.click("#tokens-confirm-no")
    page.wait_for_selector("#tokens-confirm-yes", state="hidden")
    assert _api(live_server, secret).status_code == 200

    page.click("#tokens-own button:has-text('Revoke')")
    page.click("#tokens-confirm-yes")
    page.wait_for_selector("#tokens-message .alert-success")
    assert page.inner_text("#tokens-message") == "Token “Reporting script” revoked."
    page.wait_for_selector("#tokens-own >> text=Revoked")
    response = _api(live_server, secret)
    assert response.status_code == 401 and response.json()["error"]["message"] == "token revoked"


def test_an_admin_revokes_another_users_token_on_the_profile_page(page, live_server, portal_user):
    agent, admin = portal_user(Role.AGENT), portal_user(Role.ADMIN)
    with live_server.app.app_context():
        secret = tokens.create_token(actor=agent, name=f"Sync of {agent.username}", scopes=["read", "write"]).secret
    assert _api(live_server, secret).status_code == 200
    sign_in(page, live_server.url, admin, next_path="/profile")
    row = page.locator("#tokens-all tr", has_text=f"Sync of {agent.username}")
    row.wait_for()
    assert agent.username in row.inner_text() and "Read and write" in row.inner_text()
    row.locator("button:has-text('Revoke')").click()
    page.wait_for_selector("#tokens-confirm-text >> text=It belongs to another user.")
    page.click("#tokens-confirm-yes")
    page.wait_for_selector("#tokens-message .alert-success")
    # The list is refreshed by the next callback, after the message: wait for the row to go.
    page.locator("#tokens-all tr", has_text=f"Sync of {agent.username}").wait_for(state="detached")
    assert f"Sync of {agent.username}" not in page.inner_text("#tokens-all")
    assert _api(live_server, secret).status_code == 401
