"""Authentication: login, JWT validation, deactivated users, throttling, portal session with CSRF."""
import base64
import json
from datetime import datetime, timedelta, timezone

import jwt
import pytest

from db.models import Role
from tests.conftest import PASSWORD
from workflow import users

SECRET = "testing-secret-key-long-enough-for-every-hmac-algorithm-0123456789"


def login(client, username, password=PASSWORD, address="10.0.0.1"):
    return client.post(
        "/api/auth/login", json={"username": username, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def claims_for(user, **overrides):
    now = datetime.now(timezone.utc)
    claims = {"sub": str(user.id), "iss": "workflow-manager", "iat": now, "exp": now + timedelta(minutes=5), "ver": 0}
    return {**claims, **overrides}


def call_with(client, token):
    return client.get("/api/tasks", headers={"Authorization": f"Bearer {token}"})


def test_login_issues_a_working_token_and_records_last_login(client, make_user):
    user = make_user(Role.AGENT)
    response = login(client, user.username)
    assert response.status_code == 200
    body = response.json
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "HS256"
    claims = jwt.decode(body["access_token"], SECRET, algorithms=["HS256"], issuer="workflow-manager")
    assert claims["sub"] == str(user.id) and claims["exp"] - claims["iat"] == 3600
    assert call_with(client, body["access_token"]).status_code == 200
    me = client.get(f"/api/users/{user.id}", headers={"Authorization": f"Bearer {body['access_token']}"}).json
    assert me["last_login"] is not None


@pytest.mark.parametrize("password", ["wrong-password", ""])
def test_wrong_credentials_are_401_alike(client, make_user, password):
    user = make_user(Role.AGENT)
    wrong = login(client, user.username, password)
    unknown = login(client, "nobody-here", "whatever-password")
    assert wrong.status_code in (401, 422)
    assert unknown.status_code == 401
    if wrong.status_code == 401:
        assert wrong.json["error"]["message"] == unknown.json["error"]["message"]


def test_expired_token_is_401(client, make_user):
    user = make_user(Role.AGENT)
    past = datetime.now(timezone.utc) - timedelta(hours=2)
    token = jwt.encode(claims_for(user, iat=past, exp=past + timedelta(minutes=5)), SECRET, algorithm="HS256")
    response = call_with(client, token)
    assert response.status_code == 401 and response.json["error"]["message"] == "token expired"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_tampered_token_is_401(client, make_user, auth_headers):
    user, other = make_user(Role.AGENT), make_user(Role.ADMIN)
    token = auth_headers(user)["Authorization"].split()[1]
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = str(other.id)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    assert call_with(client, f"{header}.{forged}.{signature}").status_code == 401


@pytest.mark.parametrize("algorithm", ["HS512", "HS384"])
def test_other_algorithms_are_refused(client, make_user, algorithm):
    user = make_user(Role.AGENT)
    token = jwt.encode(claims_for(user), SECRET, algorithm=algorithm)
    assert call_with(client, token).status_code == 401


def test_none_algorithm_is_refused(client, make_user):
    user = make_user(Role.ADMIN)
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip("=")
    payload = base64.urlsafe_b64encode(
        json.dumps({"sub": str(user.id), "iss": "workflow-manager", "iat": 0, "exp": 4102444800}).encode()
    ).decode().rstrip("=")
    assert call_with(client, f"{header}.{payload}.").status_code == 401


@pytest.mark.parametrize(
    "overrides",
    [{"iss": "someone-else"}, {"sub": "not-a-uuid"}, {"sub": "0194c3a0-0000-7000-8000-000000000000"}],
    ids=["wrong-issuer", "bad-subject", "unknown-user"],
)
def test_wrong_claims_are_401(client, make_user, overrides):
    user = make_user(Role.AGENT)
    assert call_with(client, jwt.encode(claims_for(user, **overrides), SECRET, algorithm="HS256")).status_code == 401


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer ", "token"])
def test_malformed_authorization_header_is_401(client, header):
    assert client.get("/api/tasks", headers={"Authorization": header}).status_code == 401


def test_deactivated_user_cannot_log_in_or_use_an_old_token(app, client, make_user, auth_headers):
    admin, agent = make_user(Role.ADMIN), make_user(Role.AGENT)
    old = auth_headers(agent)
    assert client.get("/api/tasks", headers=old).status_code == 200
    response = client.put(f"/api/users/{agent.id}", json={"is_active": False}, headers=auth_headers(admin))
    assert response.status_code == 200 and response.json["is_active"] is False
    assert client.get("/api/tasks", headers=old).status_code == 401
    # The poll checks the user in its own statement instead of loading them: the same answer.
    poll = client.get("/api/notifications/unread-count", headers=old)
    assert poll.status_code == 401 and poll.json["error"]["code"] == "unauthorized"
    assert login(client, agent.username).status_code == 401


def test_failed_logins_are_throttled_per_account(client, make_user):
    user = make_user(Role.AGENT)
    for attempt in range(5):
        assert login(client, user.username, "wrong-password", address=f"10.1.0.{attempt}").status_code == 401
    throttled = login(client, user.username, address="10.1.0.99")  # even the right password, from elsewhere
    assert throttled.status_code == 429
    assert throttled.json["error"]["code"] == "too_many_requests"
    assert int(throttled.headers["Retry-After"]) >= 1
    other = make_user(Role.AGENT)
    assert login(client, other.username, address="10.1.0.99").status_code == 200


def test_failed_logins_are_throttled_per_address(client, make_user):
    user = make_user(Role.AGENT)
    for n in range(20):
        assert login(client, f"guess{n}", "wrong-password", address="10.2.0.1").status_code == 401
    assert login(client, user.username, address="10.2.0.1").status_code == 429
    assert login(client, user.username, address="10.2.0.2").status_code == 200


def test_success_resets_the_account_counter(client, make_user):
    user = make_user(Role.AGENT)
    for _ in range(4):
        login(client, user.username, "wrong-password")
    assert login(client, user.username).status_code == 200
    for _ in range(4):
        assert login(client, user.username, "wrong-password").status_code == 401
    assert login(client, user.username).status_code == 200


def test_portal_session_reads_freely_but_writes_need_the_csrf_token(app, client, make_user):
    agent = make_user(Role.AGENT)
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = str(agent.id)
        flask_session["credential_version"] = agent.credential_version
        flask_session["_fresh"] = True
        flask_session["csrf_token"] = "the-token"
    assert client.get("/api/tasks").status_code == 200
    body = {"title": "From the portal"}
    refused = client.post("/api/tasks", json=body)
    assert refused.status_code == 403 and refused.json["error"]["details"] == {"header": "X-CSRF-Token"}
    assert client.post("/api/tasks", json=body, headers={"X-CSRF-Token": "wrong"}).status_code == 403
    assert client.post("/api/tasks", json=body, headers={"X-CSRF-Token": "the-token"}).status_code == 201


def test_deactivated_users_session_ends(app, client, make_user):
    admin, agent = make_user(Role.ADMIN), make_user(Role.AGENT)
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = str(agent.id)
        flask_session["credential_version"] = agent.credential_version
    assert client.get("/api/tasks").status_code == 200
    with app.app_context():
        users.update_user(actor=admin, user_id=agent.id, changes={"is_active": False})
    assert client.get("/api/tasks").status_code == 401
