"""The auto-assignment rules over the API (`GET|PUT /api/assignment-rules`) and the away flag on `PUT /api/users/{id}`."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from db.models import Role


@pytest.fixture
def desk(make_user):
    """A department of its own with a manager and two Agents."""
    name = f"Desk {uuid.uuid4().hex[:8]}"
    return name, make_user(Role.MANAGER, department=name), [make_user(Role.AGENT, department=name) for _ in range(2)]


def _rule(body: dict, department: str) -> dict:
    return next(rule for rule in body["rules"] if rule["department"] == department)


def test_managers_set_a_mode_everyone_reads_it_and_new_tasks_follow_it(client, auth_headers, desk):
    department, manager, (first, second) = desk
    listed = client.get("/api/assignment-rules", headers=auth_headers(first))
    assert listed.status_code == 200
    assert _rule(listed.json, department) == {"department": department, "mode": "off", "updated_at": None}

    saved = client.put("/api/assignment-rules", json={"rules": {department: "round_robin"}}, headers=auth_headers(manager))
    assert saved.status_code == 200, saved.json
    assert _rule(saved.json, department)["mode"] == "round_robin"
    assert saved.json == client.get("/api/assignment-rules", headers=auth_headers(first)).json

    created = client.post("/api/tasks", json={"title": "Broken badge reader"}, headers=auth_headers(manager))
    assert created.status_code == 201
    assignee = created.json["assigned_to"]
    assert assignee in (str(first.id), str(second.id))
    history = client.get(f"/api/tasks/{created.json['id']}/history", headers=auth_headers(manager)).json["items"]
    assert [entry["change_type"] for entry in history] == ["Creation", "Assignment"]
    assert history[1]["new_value"] == {"assigned_to": assignee, "reason": "round robin"}


@pytest.mark.parametrize("body", [
    {"rules": {"Support": "lottery"}},
    {"rules": {"": "round_robin"}},
    {"rules": {"x" * 101: "off"}},
    {"rules": {}},
    {"rules": ["Support"]},
    {"rules": {"Support": None}},
    {"department": "Support", "mode": "off"},
])
def test_invalid_rules_are_422_and_change_nothing(client, auth_headers, people, body):
    before = client.get("/api/assignment-rules", headers=auth_headers(people["manager"])).json
    refused = client.put("/api/assignment-rules", json=body, headers=auth_headers(people["manager"]))
    assert refused.status_code == 422, refused.json
    assert client.get("/api/assignment-rules", headers=auth_headers(people["manager"])).json == before


def test_agents_and_viewers_may_not_set_rules(client, auth_headers, people):
    for role in ("agent", "viewer"):
        refused = client.put("/api/assignment-rules", json={"rules": {"Support": "least_loaded"}},
                             headers=auth_headers(people[role]))
        assert refused.status_code == 403


def test_a_change_of_rules_is_audited_with_before_and_after(client, auth_headers, people, desk):
    department, manager, _ = desk
    client.put("/api/assignment-rules", json={"rules": {department: "least_loaded"}}, headers=auth_headers(manager))
    audit = client.get(f"/api/audit?action=assignment.rules_changed&target_id={department}",
                       headers=auth_headers(people["admin"]))
    assert audit.status_code == 200
    [event] = audit.json["items"]
    assert (event["before"], event["after"]) == ({"mode": "off"}, {"mode": "least_loaded"})
    assert event["target_type"] == "department"


def test_users_mark_themselves_away_and_admins_anyone(client, auth_headers, people):
    agent, other = people["agent"], people["other_agent"]
    url = f"/api/users/{agent.id}"
    shown = client.get(url, headers=auth_headers(other)).json
    assert (shown["away"], shown["away_until"]) == (False, None)
    back = (datetime.now(timezone.utc) + timedelta(days=3)).replace(microsecond=0)
    saved = client.put(url, json={"away": True, "away_until": back.isoformat()}, headers=auth_headers(agent))
    assert saved.status_code == 200, saved.json
    assert saved.json["away"] is True and datetime.fromisoformat(saved.json["away_until"]) == back
    # Colleagues see it (it is why work passes them by), but only they themself and Admins change it.
    assert client.get(url, headers=auth_headers(other)).json["away"] is True
    assert client.put(url, json={"away": False}, headers=auth_headers(other)).status_code == 403
    assert client.put(url, json={"away": False}, headers=auth_headers(people["manager"])).status_code == 403
    cleared = client.put(url, json={"away": False}, headers=auth_headers(people["admin"]))
    assert cleared.status_code == 200 and (cleared.json["away"], cleared.json["away_until"]) == (False, None)


@pytest.mark.parametrize("body", [
    {"away": "yes"},
    {"away": None},
    {"away": True, "away_until": "next week"},
    {"away": True, "away_until": "2020-01-01T00:00:00Z"},
    {"away_until": "2999-01-01T00:00:00Z"},
    {"away": False, "away_until": "2999-01-01T00:00:00Z"},
])
def test_an_away_flag_that_cannot_be_is_422(client, auth_headers, people, body):
    agent = people["agent"]
    refused = client.put(f"/api/users/{agent.id}", json=body, headers=auth_headers(agent))
    assert refused.status_code == 422, refused.json
    assert client.get(f"/api/users/{agent.id}", headers=auth_headers(agent)).json["away"] is False


def test_a_department_of_the_longest_name_is_set_and_audited(client, auth_headers, people):
    name = "D" * 100
    saved = client.put("/api/assignment-rules", json={"rules": {name: "least_loaded"}}, headers=auth_headers(people["manager"]))
    assert saved.status_code == 200 and _rule(saved.json, name)["mode"] == "least_loaded"
    audit = client.get(f"/api/audit?action=assignment.rules_changed&target_id={name}",
                       headers=auth_headers(people["admin"])).json["items"]
    assert (audit[0]["target_id"], audit[0]["after"]) == (name, {"mode": "least_loaded"})
