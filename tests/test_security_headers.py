"""Security headers on every kind of response: pages, the API and its errors, Swagger UI, static files."""
import re

import pytest

from app import create_app
from auth.headers import script_hash
from db.models import Role
from tests.conftest import PASSWORD, config_for

HSTS = "max-age=31536000; includeSubDomains"


def _policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request.path}"
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def _assert_hardened(response) -> dict[str, list[str]]:
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    policy = _policy(response)
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert policy["default-src"] == ["'self'"] and policy["connect-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    return policy


def _sign_in(client, user) -> None:
    client.get("/login")
    with client.session_transaction() as session:
        token = session["csrf_token"]
    assert client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token}).status_code == 302


def test_a_portal_page_allows_exactly_its_own_inline_scripts(client, make_user):
    _sign_in(client, make_user(Role.ADMIN))
    response = client.get("/board")
    assert response.status_code == 200 and response.mimetype == "text/html"
    policy = _assert_hardened(response)
    # Dash's renderer and each clientside callback are inline: each one's hash is allowed. (Its IE warning
    # sits in a conditional comment, which browsers do not run.)
    html = re.sub(r"<!--.*?-->", "", response.get_data(as_text=True), flags=re.DOTALL)
    scripts = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>(.*?)</script>", html, re.DOTALL)
    assert len(scripts) >= 2
    assert {script_hash(source) for source in scripts} <= set(policy["script-src"])


def test_the_sign_in_page_and_a_redirect(client):
    _assert_hardened(client.get("/login"))
    redirect = client.get("/board")
    assert redirect.status_code == 302
    _assert_hardened(redirect)


def test_an_api_response_and_an_api_error(client, make_user, auth_headers):
    user = make_user(Role.AGENT)
    ok = client.get("/api/tasks", headers=auth_headers(user))
    assert ok.status_code == 200
    _assert_hardened(ok)
    for error in (client.get("/api/tasks"), client.get("/api/no-such-thing"),
                  client.post("/api/tasks", data="{", headers={**auth_headers(user), "Content-Type": "application/json"})):
        assert error.status_code in (400, 401, 404) and error.is_json
        _assert_hardened(error)


def test_swagger_ui_gets_the_hash_of_its_own_script(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    policy = _assert_hardened(response)
    scripts = re.findall(r"<script>(.*?)</script>", response.get_data(as_text=True), re.DOTALL)
    assert len(scripts) == 1 and script_hash(scripts[0]) in policy["script-src"]
    # Another host writes another script, with its own hash.
    other = client.get("/api/docs/", headers={"Host": "docs.example.org"})
    other_script = re.findall(r"<script>(.*?)</script>", other.get_data(as_text=True), re.DOTALL)[0]
    assert "docs.example.org" in other_script and script_hash(other_script) in _policy(other)["script-src"]
    assert script_hash(scripts[0]) not in _policy(other)["script-src"]


@pytest.mark.parametrize("path", ["/assets/app.css", "/assets/fonts/bootstrap-icons.woff2", "/api/docs/swagger-ui-bundle.js",
                                  "/api/openapi.json", "/healthz"])
def test_static_files_and_plain_endpoints(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    _assert_hardened(response)
    response.close()


def test_dash_callback_errors(client, make_user):
    _assert_hardened(client.post("/_dash-update-component", json={}))  # 401 without a session
    _sign_in(client, make_user(Role.AGENT))
    _assert_hardened(client.post("/_dash-update-component", json=[]))


def test_a_500_page_is_hardened_too(app, make_user):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom-for-the-test")
    def boom():
        raise RuntimeError("boom")

    client = app.test_client()
    _sign_in(client, make_user(Role.AGENT))
    response = client.get("/boom-for-the-test")
    assert response.status_code == 500
    _assert_hardened(response)


def test_hsts_only_when_the_session_cookie_is_secure(client, database_url):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = create_app(config_for(database_url, SESSION_COOKIE_SECURE=True)).test_client()
    for path in ("/login", "/api/tasks", "/assets/app.css"):
        response = secure.get(path)
        assert response.headers["Strict-Transport-Security"] == HSTS, path
        response.close()


def test_fingerprinted_assets_are_kept_by_the_browser_and_others_revalidated(client, make_user):
    _sign_in(client, make_user(Role.AGENT))
    page = client.get("/").get_data(as_text=True)
    linked = re.findall(r'"(/assets/[^"?]+\?m=[0-9.]+)"', page)
    assert any(path.startswith("/assets/app.css?m=") for path in linked), linked
    for path in linked:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable", path
        response.close()
    # Without its fingerprint an address may serve new bytes tomorrow: revalidated every time.
    plain = client.get("/assets/app.css")
    assert plain.status_code == 200 and "immutable" not in plain.headers["Cache-Control"]
    assert "no-cache" in plain.headers["Cache-Control"]
    plain.close()
