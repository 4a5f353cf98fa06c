"""GET|PUT /api/sla/escalations: the rules per priority, read by everyone signed in, set by an Admin, validated
(422 naming the field) and audited; the notification types in everyone's settings."""
import pytest

from db.models import Role

URL = "/api/sla/escalations"
DEFAULT = {"warning_enabled": True, "warning_percent": 75, "breach_enabled": True, "raise_priority": False,
           "return_to_queue": False}


def test_everyone_reads_the_defaults(client, people, auth_headers):
    response = client.get(URL, headers=auth_headers(people["viewer"]))
    assert response.status_code == 200
    assert response.json == {"Low": DEFAULT, "Medium": DEFAULT, "High": DEFAULT, "Critical": DEFAULT}


def test_an_admin_changes_part_of_a_rule_and_the_change_is_audited(client, people, auth_headers):
    admin = auth_headers(people["admin"])
    response = client.put(URL, json={"Critical": {"warning_percent": 50, "return_to_queue": True}}, headers=admin)
    assert response.status_code == 200
    changed = {**DEFAULT, "warning_percent": 50, "return_to_queue": True}
    assert response.json == {"Low": DEFAULT, "Medium": DEFAULT, "High": DEFAULT, "Critical": changed}
    assert client.get(URL, headers=auth_headers(people["agent"])).json["Critical"] == changed
    # What GET returns is a valid body.
    assert client.put(URL, json=response.json, headers=admin).status_code == 200
    events = client.get("/api/audit?action=sla.escalation_rules_changed", headers=admin).json["items"]
    assert len(events) == 2
    first = events[-1]
    assert first["before"] == {"Critical": DEFAULT} and first["after"] == {"Critical": changed}


@pytest.mark.parametrize(("body", "field"), [
    ({"High": {"warning_percent": 0}}, "High.warning_percent"),
    ({"High": {"warning_percent": 100}}, "High.warning_percent"),
    ({"High": {"warning_percent": 75.5}}, "High.warning_percent"),
    ({"High": {"warning_percent": "75"}}, "High.warning_percent"),
    ({"High": {"breach_enabled": "yes"}}, "High.breach_enabled"),
    ({"High": {"colour": "red"}}, "High.colour"),
    ({"Urgent": {"warning_percent": 50}}, "Urgent"),
])
def test_bad_input_is_a_422_naming_the_field_and_changes_nothing(client, people, auth_headers, body, field):
    admin = auth_headers(people["admin"])
    response = client.put(URL, json=body, headers=admin)
    assert response.status_code == 422, response.json
    fields = [problem["field"] for problem in response.json["error"]["details"]]
    assert any(name == field or name.startswith(field) for name in fields), fields
    assert client.get(URL, headers=admin).json["High"] == DEFAULT


@pytest.mark.parametrize("role", [Role.AGENT, Role.VIEWER])
def test_only_supervisors_change_them(client, make_user, auth_headers, role):
    response = client.put(URL, json={"High": {"warning_percent": 50}}, headers=auth_headers(make_user(role)))
    assert response.status_code == 403


def test_a_manager_changes_them_and_the_change_is_audited(client, make_user, auth_headers):
    manager = make_user(Role.MANAGER)
    response = client.put(URL, json={"High": {"warning_percent": 50}}, headers=auth_headers(manager))
    assert response.status_code == 200, response.json
    assert response.json["High"]["warning_percent"] == 50
    admin = auth_headers(make_user(Role.ADMIN))
    [event] = client.get("/api/audit?action=sla.escalation_rules_changed", headers=admin).json["items"]
    assert event["actor_id"] == str(manager.id) and event["after"]["High"]["warning_percent"] == 50


def test_the_new_types_are_in_everyones_settings_with_email_on(client, people, auth_headers):
    agent = auth_headers(people["agent"])
    settings = client.get("/api/notifications/settings", headers=agent).json
    assert settings["SLA Warning"] == settings["SLA Breach"] == {"in_app": True, "email": True, "sms": False}
    response = client.post("/api/notifications/settings", json={"SLA Warning": {"email": False}}, headers=agent)
    assert response.status_code == 200
    assert client.get("/api/notifications/settings", headers=agent).json["SLA Warning"]["email"] is False
