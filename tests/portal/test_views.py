"""Sign-in pages without a browser: redirects stay on this site, the form needs its CSRF token."""
import pytest

from portal.views import safe_next
from tests.conftest import PASSWORD


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (None, "/"), ("", "/"), ("/board?x=1", "/board?x=1"), ("https://evil.example/", "/"),
        ("//evil.example/", "/"), ("/\\evil.example", "/"), ("javascript:alert(1)", "/"), ("board", "/"),
    ],
)
def test_next_is_a_local_path(target, expected):
    assert safe_next(target) == expected


def _csrf(client) -> str:
    client.get("/login")
    with client.session_transaction() as session:
        return session["csrf_token"]


def test_login_without_the_form_token_is_refused(client, make_user):
    user = make_user()
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 400


def test_login_sets_a_hardened_session_cookie_and_redirects(client, make_user):
    user = make_user()
    response = client.post(
        "/login", data={"username": user.username, "password": PASSWORD, "csrf_token": _csrf(client), "next": "/board"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/board"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/_dash-layout").status_code == 200


def test_failed_sign_ins_are_throttled_like_the_api(client, make_user):
    user = make_user()
    token = _csrf(client)
    for _ in range(5):
        assert client.post("/login", data={"username": user.username, "password": "nope-nope", "csrf_token": token}).status_code == 401
    throttled = client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token})
    assert throttled.status_code == 429 and b"Too many failed sign-ins" in throttled.data
    assert int(throttled.headers["Retry-After"]) >= 1
    assert b"Try again in 15 minutes." in throttled.data


def test_pages_redirect_and_callbacks_refuse_without_a_session(client):
    assert client.get("/board").headers["Location"] == "/login?next=/board"
    assert client.post("/_dash-update-component", json={}).status_code == 401
