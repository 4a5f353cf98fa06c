"""Personal data: a user's email and phone are for Admins, Managers and the user themself; everyone else
sees names, usernames, roles and departments."""
import pytest

from db.models import Role

#: Per role: sees other users' contact details.
SEES_CONTACT = {"admin": True, "manager": True, "agent": False, "viewer": False}
PHONE = "+447700900123"


@pytest.fixture
def colleague(make_user):
    """A user with every contact detail set."""
    return make_user(Role.AGENT, full_name="Cora Colleague", department="Billing", phone=PHONE)


def _expect(user, sees_contact: bool, phone=None) -> dict:
    return {
        "id": str(user.id), "username": user.username, "full_name": user.full_name, "department": user.department,
        "role": user.role.value, "is_active": True,
        "email": user.email if sees_contact else None, "phone": phone if sees_contact else None,
    }


def _shown(item: dict) -> dict:
    return {key: item[key] for key in ("id", "username", "full_name", "department", "role", "is_active", "email", "phone")}


@pytest.mark.parametrize("role", SEES_CONTACT)
def test_user_list(role, client, people, colleague, auth_headers):
    """GET /api/users: contact details of others by role; your own always."""
    caller = people[role]
    response = client.get("/api/users?limit=500", headers=auth_headers(caller))
    assert response.status_code == 200
    listed = {item["id"]: item for item in response.json["items"]}
    assert _shown(listed[str(colleague.id)]) == _expect(colleague, SEES_CONTACT[role], PHONE)
    assert _shown(listed[str(caller.id)]) == _expect(caller, True)
    if not SEES_CONTACT[role]:
        assert colleague.email not in response.get_data(as_text=True)
        assert all(item["email"] is None for key, item in listed.items() if key != str(caller.id))


@pytest.mark.parametrize("role", SEES_CONTACT)
def test_one_user(role, client, people, colleague, auth_headers):
    """GET /api/users/{id}: the same rule for one user, and yourself in full."""
    caller = people[role]
    other = client.get(f"/api/users/{colleague.id}", headers=auth_headers(caller))
    assert other.status_code == 200
    assert _shown(other.json) == _expect(colleague, SEES_CONTACT[role], PHONE)
    own = client.get(f"/api/users/{caller.id}", headers=auth_headers(caller))
    assert _shown(own.json) == _expect(caller, True)


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_your_own_update_answers_in_full(role, client, people, auth_headers):
    """PUT /api/users/{your id}: the answer is yours, contact details included."""
    caller = people[role]
    response = client.put(f"/api/users/{caller.id}", json={"phone": PHONE}, headers=auth_headers(caller))
    assert response.status_code == 200, response.get_json()
    assert (response.json["email"], response.json["phone"]) == (caller.email, PHONE)


def test_the_document_says_contact_details_may_be_null(client):
    user = client.get("/api/openapi.json").json["components"]["schemas"]["UserOut"]
    for field in ("email", "phone"):
        assert {"type": "null"} in user["properties"][field]["anyOf"], user["properties"][field]
        assert "Admin" in user["properties"][field]["description"]
