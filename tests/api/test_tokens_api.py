"""Service tokens (personal access tokens): the secret shown once and stored hashed, usable as a Bearer token
within its scopes on every operation, refused at once when revoked, expired or its owner deactivated."""
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from db import session
from db.models import ApiToken, AuditEvent, User
from db.types import utcnow
from tests.api.test_permission_matrix import ARRANGE, EXPECTED, World
from tests.conftest import PASSWORD
from workflow import tokens

WRITES = [operation for operation in EXPECTED if operation.split()[0] not in ("GET", "HEAD")]
READS = [operation for operation in EXPECTED if operation.split()[0] == "GET"]


def _bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def _create(client, headers, **body) -> dict:
    body.setdefault("name", "Nightly sync")
    response = client.post("/api/tokens", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def _issue(app, user, scopes=("read", "write"), **options) -> str:
    """A token of `user` made through the workflow; its secret."""
    with app.app_context():
        return tokens.create_token(actor=user, name="Integration", scopes=scopes, **options).secret


def _row(app, token_id) -> ApiToken:
    with app.app_context():
        found = session.get(ApiToken, uuid.UUID(str(token_id)))
        session.expunge(found)
        return found


@pytest.fixture(autouse=True)
def _attachment_folder(app, tmp_path):
    """The matrix's attachments go to a temporary local folder."""
    app.config["LOCAL_STORAGE_DIR"] = str(tmp_path / "attachments")


# --- the secret: shown once, stored hashed ------------------------------------------------------


def test_the_secret_is_shown_once_and_stored_only_as_its_hash(app, client, people, auth_headers):
    agent = people["agent"]
    created = _create(client, auth_headers(agent), scopes=["read"])
    secret = created["token"]
    assert secret.startswith("wm_pat_") and len(secret) > 40
    assert created["prefix"] == secret[:15] and created["status"] == "active"
    assert created["scopes"] == ["read"] and created["user_id"] == str(agent.id) and created["username"] == agent.username

    listed = client.get("/api/tokens", headers=auth_headers(agent)).json["items"]
    assert [item["id"] for item in listed] == [created["id"]]
    assert "token" not in listed[0] and secret not in json.dumps(listed)
    assert listed[0]["prefix"] == created["prefix"]

    stored = _row(app, created["id"])
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in [getattr(stored, column.key) for column in ApiToken.__table__.columns]


def test_defaults_and_limits_of_a_new_token(client, people, auth_headers):
    headers = auth_headers(people["viewer"])
    created = _create(client, headers)
    assert created["scopes"] == ["read"]
    lifetime = datetime.fromisoformat(created["expires_at"]) - datetime.fromisoformat(created["created_at"])
    assert lifetime == timedelta(days=90)
    assert _create(client, headers, scopes=["write"])["scopes"] == ["read", "write"]
    soon = (utcnow() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _create(client, headers, expires_at=soon)["expires_at"].startswith(soon[:19])

    refusals = {
        "past": {"name": "x", "expires_at": (utcnow() - timedelta(minutes=1)).isoformat()},
        "too far": {"name": "x", "expires_at": (utcnow() + timedelta(days=366)).isoformat()},
        "unknown scope": {"name": "x", "scopes": ["admin"]},
        "no scope": {"name": "x", "scopes": []},
        "blank name": {"name": "  "},
    }
    for case, body in refusals.items():
        response = client.post("/api/tokens", json=body, headers=headers)
        assert response.status_code == 422, (case, response.json)
    message = client.post("/api/tokens", json=refusals["too far"], headers=headers).json["error"]["message"]
    assert "365 days" in message


# --- usable as a Bearer token, within its scopes ------------------------------------------------


def test_a_token_acts_as_its_owner_on_every_kind_of_call(app, client, people, make_task):
    agent = people["agent"]
    make_task(agent, title="Mine")
    headers = _bearer(_issue(app, agent))
    assert client.get("/api/tasks", headers=headers).status_code == 200  # the hot list checks its caller in SQL
    assert client.get("/api/notifications/unread-count", headers=headers).json == {"unread": 0}
    assert client.get(f"/api/users/{agent.id}", headers=headers).json["username"] == agent.username
    created = client.post("/api/tasks", json={"title": "From the integration"}, headers=headers)
    assert created.status_code == 201 and created.json["created_by"] == str(agent.id)


def test_the_hot_lists_refuse_a_token_whose_owner_is_deactivated_meanwhile(app, client, people):
    """The id-only fast path takes the owner's credential from the token and checks it in its own statement."""
    agent = people["agent"]
    headers = _bearer(_issue(app, agent))
    assert client.get("/api/tasks", headers=headers).status_code == 200
    with app.app_context():
        session.execute(update(User).where(User.id == agent.id).values(is_active=False))
        session.commit()
    for url in ("/api/tasks", "/api/notifications/unread-count", "/api/users"):
        assert client.get(url, headers=headers).status_code == 401, url


@dataclass
class TokenWorld(World):
    """The matrix's world, the caller speaking with a service token instead of a sign-in."""

    token_headers: dict = field(default_factory=dict)

    def headers(self) -> dict:
        return self.token_headers


def _read_only_admin(app, client, people, make_user, make_task, auth_headers) -> TokenWorld:
    secret = _issue(app, people["admin"], scopes=("read",))
    return TokenWorld(app, client, people, make_user, make_task, auth_headers, "admin", _bearer(secret))


@pytest.mark.parametrize("operation", WRITES)
def test_a_read_only_token_is_refused_every_write(operation, app, client, people, make_user, make_task, auth_headers):
    """Every write of the permission matrix, as an Admin (who may do all of them) with a read-only token: 403,
    and nothing changes."""
    world = _read_only_admin(app, client, people, make_user, make_task, auth_headers)
    call = ARRANGE[operation](world)
    before = call.probe()
    body = {"data": call.form} if call.form is not None else {"json": call.json}
    response = client.open(call.url, method=operation.split()[0], headers=world.headers(), **body)
    assert response.status_code == 403, response.get_json()
    assert response.json["error"]["code"] == "forbidden"
    assert "read-only" in response.json["error"]["message"]
    assert call.probe() == before


@pytest.mark.parametrize("operation", READS)
def test_a_read_only_token_reads_what_its_owner_may(operation, app, client, people, make_user, make_task, auth_headers):
    """Every read of the permission matrix answers a read-only Admin token as it answers the Admin."""
    world = _read_only_admin(app, client, people, make_user, make_task, auth_headers)
    call = ARRANGE[operation](world)
    before = call.probe()
    response = client.get(call.url, headers=world.headers())
    assert response.status_code == EXPECTED[operation]["admin"], response.get_json()
    seen = response.headers["Location"] if response.status_code == 302 else response.get_json(silent=True)
    assert call.effect(before, call.probe(), seen)


def test_no_token_creates_tokens_changes_a_password_or_signs_out(app, client, people):
    agent = people["agent"]
    headers = _bearer(_issue(app, agent))
    refused = [
        client.post("/api/tokens", json={"name": "Another"}, headers=headers),
        client.put(f"/api/users/{agent.id}", json={"password": "a-new-passphrase", "current_password": PASSWORD},
                   headers=headers),
        client.post("/api/auth/logout", headers=headers),
    ]
    for response in refused:
        assert response.status_code == 403, response.json
        assert "a service token cannot" in response.json["error"]["message"]
    # Other writes of the owner's are the write scope's.
    assert client.put(f"/api/users/{agent.id}", json={"full_name": "Renamed"}, headers=headers).status_code == 200
    login = client.post("/api/auth/login", json={"username": agent.username, "password": PASSWORD})
    assert login.status_code == 200


# --- refused at once: revoked, expired, owner deactivated -------------------------------------


def test_a_revoked_token_is_refused_at_once(app, client, people, auth_headers):
    agent = people["agent"]
    created = _create(client, auth_headers(agent))
    headers = _bearer(created["token"])
    assert client.get("/api/tasks", headers=headers).status_code == 200
    assert client.delete(f"/api/tokens/{created['id']}", headers=auth_headers(agent)).status_code == 204
    for url in ("/api/tasks", "/api/notifications/unread-count", "/api/users"):
        response = client.get(url, headers=headers)
        assert response.status_code == 401 and response.json["error"]["message"] == "token revoked", url
    # Revoking again changes nothing; the list says when.
    assert client.delete(f"/api/tokens/{created['id']}", headers=auth_headers(agent)).status_code == 204
    item = client.get("/api/tokens", headers=auth_headers(agent)).json["items"][0]
    assert item["status"] == "revoked" and item["revoked_at"] is not None


def test_an_expired_token_is_refused(app, client, people):
    agent = people["agent"]
    secret = _issue(app, agent, now=utcnow() - timedelta(days=91))  # 90 days from then: yesterday
    for url in ("/api/tasks", "/api/users"):
        response = client.get(url, headers=_bearer(secret))
        assert response.status_code == 401 and response.json["error"]["message"] == "token expired"


def test_an_unknown_token_is_refused(client):
    for secret in ("wm_pat_" + "A" * 43, "wm_pat_", "wm_pat_\u00e9"):
        assert client.get("/api/users", headers=_bearer(secret)).status_code == 401


def test_deactivating_the_owner_revokes_their_tokens_for_good(app, client, people, auth_headers):
    agent = people["agent"]
    secret = _issue(app, agent)
    deactivate = client.put(f"/api/users/{agent.id}", json={"is_active": False}, headers=auth_headers(people["admin"]))
    assert deactivate.status_code == 200
    assert client.get("/api/users", headers=_bearer(secret)).status_code == 401
    reactivate = client.put(f"/api/users/{agent.id}", json={"is_active": True}, headers=auth_headers(people["admin"]))
    assert reactivate.status_code == 200
    response = client.get("/api/users", headers=_bearer(secret))
    assert response.status_code == 401 and response.json["error"]["message"] == "token revoked"


def test_a_token_outlives_its_owners_password_change_and_sign_out_everywhere(app, client, people, auth_headers):
    """Service tokens are revoked one by one; a password change and "sign out everywhere" end sign-ins only."""
    agent = people["agent"]
    secret = _issue(app, agent)
    signed_in = auth_headers(agent)
    change = {"password": "a-brand-new-passphrase", "current_password": PASSWORD}
    assert client.put(f"/api/users/{agent.id}", json=change, headers=signed_in).status_code == 200
    assert client.get("/api/users", headers=signed_in).status_code == 401
    admin = auth_headers(people["admin"])
    assert client.delete(f"/api/users/{agent.id}/sessions", headers=admin).status_code == 204
    assert client.get("/api/tasks", headers=_bearer(secret)).status_code == 200
    assert client.get("/api/notifications/unread-count", headers=_bearer(secret)).status_code == 200


# --- last use -----------------------------------------------------------------------------------


def test_last_use_is_recorded_at_most_once_a_minute(app, client, people, auth_headers):
    agent = people["agent"]
    created = _create(client, auth_headers(agent))
    assert created["last_used_at"] is None
    headers = _bearer(created["token"])
    assert client.get("/api/notifications/unread-count", headers=headers).status_code == 200
    first = _row(app, created["id"]).last_used_at
    assert first is not None and utcnow() - first < timedelta(seconds=30)
    assert client.get("/api/users", headers=headers).status_code == 200
    assert _row(app, created["id"]).last_used_at == first  # within the minute: no write

    earlier = utcnow() - timedelta(minutes=5)
    with app.app_context():
        session.execute(update(ApiToken).where(ApiToken.id == uuid.UUID(created["id"])).values(last_used_at=earlier))
        session.commit()
    assert client.get("/api/tasks", headers=headers).status_code == 200
    assert _row(app, created["id"]).last_used_at > earlier + timedelta(minutes=4)
    listed = client.get("/api/tokens", headers=auth_headers(agent)).json["items"][0]
    assert listed["last_used_at"] is not None


def test_last_use_is_recorded_even_when_the_call_itself_fails(app, client, people):
    """A write the read-only token may not make still shows the token in use."""
    agent = people["agent"]
    with app.app_context():
        issued = tokens.create_token(actor=agent, name="Reader", scopes=["read"])
    response = client.post("/api/tasks", json={"title": "Nope"}, headers=_bearer(issued.secret))
    assert response.status_code == 403
    assert _row(app, issued.token.id).last_used_at is not None


# --- who sees and revokes whose ----------------------------------------------------------------


def test_an_admin_sees_and_revokes_everyones_tokens(app, client, people, auth_headers):
    agent, admin = people["agent"], people["admin"]
    theirs = _create(client, auth_headers(agent), name="Agent's sync")
    mine = _create(client, auth_headers(admin), name="Admin's sync")
    everyone = client.get("/api/tokens?limit=500", headers=auth_headers(admin)).json["items"]
    owners = {item["id"]: item["username"] for item in everyone}
    assert owners[theirs["id"]] == agent.username and owners[mine["id"]] == admin.username
    only_agent = client.get(f"/api/tokens?user_id={agent.id}", headers=auth_headers(admin)).json["items"]
    assert [item["id"] for item in only_agent] == [theirs["id"]]

    assert client.delete(f"/api/tokens/{theirs['id']}", headers=auth_headers(admin)).status_code == 204
    assert client.get("/api/tasks", headers=_bearer(theirs["token"])).status_code == 401
    usable = client.get("/api/tokens?active=true&limit=500", headers=auth_headers(admin)).json["items"]
    assert theirs["id"] not in {item["id"] for item in usable} and mine["id"] in {item["id"] for item in usable}
    assert _row(app, theirs["id"]).revoked_by == admin.id


def test_others_tokens_are_hidden_from_everyone_but_admins(app, client, people, auth_headers):
    agent, other = people["agent"], people["other_agent"]
    theirs = _create(client, auth_headers(other))
    mine = _create(client, auth_headers(agent))
    listed = client.get("/api/tokens", headers=auth_headers(agent)).json["items"]
    assert [item["id"] for item in listed] == [mine["id"]]
    assert client.get(f"/api/tokens?user_id={other.id}", headers=auth_headers(agent)).status_code == 403
    assert client.get(f"/api/tokens?user_id={agent.id}", headers=auth_headers(agent)).status_code == 200
    response = client.delete(f"/api/tokens/{theirs['id']}", headers=auth_headers(agent))
    assert response.status_code == 404
    assert client.delete(f"/api/tokens/{uuid.uuid4()}", headers=auth_headers(agent)).status_code == 404
    assert client.get("/api/users", headers=_bearer(theirs["token"])).status_code == 200


def test_the_list_pages_by_cursor(client, people, auth_headers):
    headers = auth_headers(people["manager"])
    made = [_create(client, headers, name=f"Token {n}")["id"] for n in range(3)]
    first = client.get("/api/tokens?limit=2", headers=headers).json
    second = client.get(f"/api/tokens?limit=2&cursor={first['next_cursor']}", headers=headers).json
    assert [item["id"] for item in first["items"] + second["items"]] == made[::-1]
    assert second["next_cursor"] is None
    assert client.get("/api/tokens?cursor=forged", headers=headers).status_code == 400


def test_too_many_usable_tokens_is_a_conflict(app, client, people, auth_headers):
    viewer = people["viewer"]
    with app.app_context():
        for n in range(tokens.MAX_ACTIVE_TOKENS):
            tokens.create_token(actor=viewer, name=f"Token {n}")
    response = client.post("/api/tokens", json={"name": "One more"}, headers=auth_headers(viewer))
    assert response.status_code == 409


# --- audit -------------------------------------------------------------------------------------


def test_creation_and_revocation_are_audited_without_the_secret(app, client, people, auth_headers):
    agent = people["agent"]
    created = _create(client, auth_headers(agent))
    assert client.delete(f"/api/tokens/{created['id']}", headers=auth_headers(people["admin"])).status_code == 204
    with app.app_context():
        events = list(session.scalars(
            select(AuditEvent).where(AuditEvent.target_type == "token", AuditEvent.target_id == created["id"])
            .order_by(AuditEvent.at, AuditEvent.id)
        ))
        rows = [(event.action, event.actor_id) for event in events]
        text = json.dumps([[event.before, event.after] for event in events], default=str)
    assert rows == [("token.created", agent.id), ("token.revoked", people["admin"].id)]
    stored = _row(app, created["id"])
    assert created["token"] not in text and stored.token_hash not in text
    assert created["prefix"] in text
