"""Revocable credentials: logout, a password change, deactivation and "sign out everywhere" end every
session and token of the user at once; changing one's own password takes the current one."""
import pytest

from db import session
from db.models import Role, User
from tests.conftest import PASSWORD

NEW_PASSWORD = "a-new-password-42"


def _token(client, user, password=PASSWORD) -> dict:
    response = client.post("/api/auth/login", json={"username": user.username, "password": password})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def _portal_session(client, user) -> str:
    """Sign in through the portal's form; the session's CSRF token."""
    client.get("/login")
    with client.session_transaction() as flask_session:
        csrf = flask_session["csrf_token"]
    response = client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": csrf})
    assert response.status_code == 302
    with client.session_transaction() as flask_session:
        return flask_session["csrf_token"]


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _with_cookie(app, cookie):
    """Another browser holding a copy of the session cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def _refused(client, headers=None) -> bool:
    tasks = client.get("/api/tasks", headers=headers or {})
    poll = client.get("/api/notifications/unread-count", headers=headers or {})
    return tasks.status_code == 401 and poll.status_code == 401


def test_a_copied_session_cookie_stops_working_after_logout(app, client, make_user):
    agent = make_user(Role.AGENT)
    csrf = _portal_session(client, agent)
    copy = _with_cookie(app, _cookie(client))
    assert copy.get("/api/tasks").status_code == 200 and copy.get("/tasks").status_code == 200
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 302
    assert _refused(copy)
    assert copy.get("/tasks").headers["Location"] == "/login?next=/tasks"
    # A fresh sign-in works again.
    _portal_session(client, agent)
    assert client.get("/api/tasks").status_code == 200


def test_logout_in_the_portal_also_ends_the_users_api_tokens(client, make_user):
    agent = make_user(Role.AGENT)
    token = _token(client, agent)
    csrf = _portal_session(client, agent)
    client.post("/logout", data={"csrf_token": csrf})
    assert _refused(client, token)


def test_api_logout_ends_the_token_and_the_portal_sessions(app, client, make_user):
    agent = make_user(Role.AGENT)
    token = _token(client, agent)
    _portal_session(client, agent)
    browser = _with_cookie(app, _cookie(client))
    assert client.post("/api/auth/logout", headers=token).status_code == 204
    assert _refused(client, token)
    assert _refused(browser)
    assert client.post("/api/auth/logout", headers=token).status_code == 401


def test_changing_your_password_takes_the_current_one_and_revokes_old_tokens(client, make_user):
    agent = make_user(Role.AGENT)
    old = _token(client, agent)
    missing = client.put(f"/api/users/{agent.id}", json={"password": NEW_PASSWORD}, headers=old)
    assert missing.status_code == 422
    assert missing.json["error"]["details"] == [{"field": "current_password", "message": "required to change your password"}]
    wrong = client.put(f"/api/users/{agent.id}", json={"password": NEW_PASSWORD, "current_password": "not-it-at-all"},
                       headers=old)
    assert wrong.status_code == 403 and wrong.json["error"]["details"][0]["field"] == "current_password"
    assert client.get("/api/tasks", headers=old).status_code == 200  # refused changes revoke nothing
    changed = client.put(f"/api/users/{agent.id}", json={"password": NEW_PASSWORD, "current_password": PASSWORD},
                         headers=old)
    assert changed.status_code == 200
    assert _refused(client, old)
    assert client.post("/api/auth/login", json={"username": agent.username, "password": PASSWORD}).status_code == 401
    assert client.get("/api/tasks", headers=_token(client, agent, NEW_PASSWORD)).status_code == 200


def test_guessing_the_current_password_is_throttled_like_a_sign_in(client, make_user):
    agent = make_user(Role.AGENT)
    headers = _token(client, agent)
    guesses = [
        client.put(f"/api/users/{agent.id}", json={"password": NEW_PASSWORD, "current_password": f"guess-{n}"},
                   headers=headers).status_code
        for n in range(6)
    ]
    assert guesses == [403] * 5 + [429]


def test_an_admin_resets_someone_elses_password_without_theirs_and_it_is_recorded(app, client, make_user, auth_headers):
    admin, agent = make_user(Role.ADMIN), make_user(Role.AGENT)
    admin_headers, agent_token = auth_headers(admin), _token(client, agent)
    response = client.put(f"/api/users/{agent.id}", json={"password": NEW_PASSWORD}, headers=admin_headers)
    assert response.status_code == 200
    assert _refused(client, agent_token)
    assert client.get("/api/tasks", headers=admin_headers).status_code == 200  # the Admin's own stay
    with app.app_context():
        stored = session.get(User, agent.id)
        assert stored.password_changed_by == admin.id and stored.password_changed_at is not None


def test_an_admin_changing_their_own_password_needs_the_current_one(client, make_user, auth_headers):
    admin = make_user(Role.ADMIN)
    response = client.put(f"/api/users/{admin.id}", json={"password": NEW_PASSWORD}, headers=auth_headers(admin))
    assert response.status_code == 422


def test_a_deactivated_users_tokens_stay_dead_after_reactivation(client, make_user, auth_headers):
    admin, agent = make_user(Role.ADMIN), make_user(Role.AGENT)
    admin_headers, old = auth_headers(admin), _token(client, agent)
    assert client.put(f"/api/users/{agent.id}", json={"is_active": False}, headers=admin_headers).status_code == 200
    assert _refused(client, old)
    assert client.put(f"/api/users/{agent.id}", json={"is_active": True}, headers=admin_headers).status_code == 200
    assert _refused(client, old)
    assert client.get("/api/tasks", headers=_token(client, agent)).status_code == 200


def test_an_admin_signs_a_user_out_everywhere(app, client, make_user, auth_headers):
    admin, agent = make_user(Role.ADMIN), make_user(Role.AGENT)
    token = _token(client, agent)
    _portal_session(client, agent)
    browser = _with_cookie(app, _cookie(client))
    assert client.delete(f"/api/users/{agent.id}/sessions", headers=auth_headers(admin)).status_code == 204
    assert _refused(client, token) and _refused(browser)


@pytest.mark.parametrize("role", [Role.MANAGER, Role.AGENT, Role.VIEWER])
def test_only_admins_sign_others_out(client, make_user, auth_headers, role):
    caller, other = make_user(role), make_user(Role.AGENT)
    token = _token(client, other)
    response = client.delete(f"/api/users/{other.id}/sessions", headers=auth_headers(caller))
    assert response.status_code == 403
    assert client.get("/api/tasks", headers=token).status_code == 200
    # Everyone may sign themself out everywhere.
    assert client.delete(f"/api/users/{caller.id}/sessions", headers=auth_headers(caller)).status_code == 204


def test_signing_out_an_unknown_user_is_404(client, make_user, auth_headers):
    admin = make_user(Role.ADMIN)
    response = client.delete("/api/users/0194c3a0-0000-7000-8000-000000000000/sessions", headers=auth_headers(admin))
    assert response.status_code == 404


@pytest.mark.parametrize("revoke", ["deactivate", "sign out everywhere"])
def test_the_task_list_checks_its_caller_in_its_own_query_when_tasks_match(client, make_user, make_task, auth_headers,
                                                                           revoke):
    """The list reads the caller's role in the statement that reads the page: rows to show must not bypass the check."""
    admin, agent = make_user(Role.ADMIN), make_user(Role.AGENT)
    mine, other = make_task(agent, assigned_to=agent.id), make_task(admin)
    old = _token(client, agent)
    listed = client.get("/api/tasks?sort=created_at", headers=old)
    assert listed.status_code == 200
    allowed = {item["id"]: item["allowed_transitions"] for item in listed.json["items"]}
    # The caller is an Agent: they move their own task and not the Admin's one.
    assert allowed[str(mine.id)] and allowed[str(other.id)] == []
    admin_headers = auth_headers(admin)
    if revoke == "deactivate":
        response = client.put(f"/api/users/{agent.id}", json={"is_active": False}, headers=admin_headers)
    else:
        response = client.delete(f"/api/users/{agent.id}/sessions", headers=admin_headers)
    assert response.status_code in (200, 204), response.json
    assert client.get("/api/tasks?sort=created_at", headers=old).status_code == 401
    assert client.get("/api/tasks?status=Cancelled", headers=old).status_code == 401  # an empty page too
