"""GET|PUT /api/sla/calendar and the business-hours flag of GET|PUT /api/sla/targets."""
import pytest

from db.models import Role

DEFAULT_WEEK = {
    **{day: {"start": "09:00", "end": "17:00"} for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")},
    "Saturday": None,
    "Sunday": None,
}
DEFAULT_TARGETS = {"Low": 10080, "Medium": 4320, "High": 1440, "Critical": 240}
EVERY_HOUR = {"Low": False, "Medium": False, "High": False, "Critical": False}


@pytest.fixture
def headers(ctx, make_user, auth_headers):
    return {role: auth_headers(make_user(role)) for role in Role}


def test_everyone_signed_in_reads_the_default_calendar(client, headers):
    for role in Role:
        response = client.get("/api/sla/calendar", headers=headers[role])
        assert response.status_code == 200
        assert response.json == {"timezone": "UTC", "hours": DEFAULT_WEEK, "holidays": []}
    assert client.get("/api/sla/calendar").status_code == 401


def test_an_admin_changes_the_calendar_in_parts(client, headers):
    admin = headers[Role.ADMIN]
    body = {
        "timezone": "Europe/London",
        "hours": {"Friday": {"start": "09:00", "end": "15:30"}, "Saturday": {"start": "10:00", "end": "12:00"}},
        "holidays": [{"date": "2026-12-28", "name": "Boxing Day (substitute)"}, {"date": "2026-12-25", "name": " Christmas Day "}],
    }
    response = client.put("/api/sla/calendar", json=body, headers=admin)
    assert response.status_code == 200, response.json
    expected = {
        "timezone": "Europe/London",
        "hours": {**DEFAULT_WEEK, "Friday": {"start": "09:00", "end": "15:30"}, "Saturday": {"start": "10:00", "end": "12:00"}},
        "holidays": [{"date": "2026-12-25", "name": "Christmas Day"}, {"date": "2026-12-28", "name": "Boxing Day (substitute)"}],
    }
    assert response.json == expected
    assert client.get("/api/sla/calendar", headers=headers[Role.AGENT]).json == expected
    # Null closes a day; parts and weekdays left out keep theirs.
    closed = client.put("/api/sla/calendar", json={"hours": {"Saturday": None}}, headers=admin)
    assert closed.json == {**expected, "hours": {**expected["hours"], "Saturday": None}}
    cleared = client.put("/api/sla/calendar", json={"holidays": []}, headers=admin)
    assert cleared.json["holidays"] == [] and cleared.json["timezone"] == "Europe/London"


@pytest.mark.parametrize("role", [Role.MANAGER, Role.AGENT, Role.VIEWER])
def test_only_admins_change_the_calendar(client, headers, role):
    response = client.put("/api/sla/calendar", json={"timezone": "Europe/Paris"}, headers=headers[role])
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    assert client.get("/api/sla/calendar", headers=headers[role]).json["timezone"] == "UTC"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "Europe/Londres"}, "timezone"),
        ({"timezone": None}, "timezone"),
        ({"timezone": "Etc/../../passwd"}, "timezone"),
        ({"hours": {"Monday": {"start": "17:00", "end": "09:00"}}}, "hours.Monday"),
        ({"hours": {"Monday": {"start": "9:00", "end": "17:00"}}}, "hours.Monday.start"),
        ({"hours": {"Monday": {"start": "09:00"}}}, "hours.Monday.end"),
        ({"hours": {"Someday": None}}, "hours.Someday"),
        ({"hours": dict.fromkeys(DEFAULT_WEEK)}, "hours"),
        ({"holidays": [{"date": "2026-02-30"}]}, "holidays[0].date"),
        ({"holidays": [{"date": "2026-12-25"}, {"date": "2026-12-25"}]}, "holidays[1].date"),
        ({"holidays": [{"date": "2026-12-25", "name": "x" * 101}]}, "holidays[0].name"),
        ({"holidays": [{"date": "2026-01-01", "name": str(n)} for n in range(367)]}, "holidays"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_invalid_calendars_are_422_with_the_field_named(client, headers, body, field):
    response = client.put("/api/sla/calendar", json=body, headers=headers[Role.ADMIN])
    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert error["code"] == "validation_failed"
    assert field in [problem["field"] for problem in error["details"]]
    assert client.get("/api/sla/calendar", headers=headers[Role.ADMIN]).json["timezone"] == "UTC"


def test_malformed_calendar_bodies_are_400(client, headers):
    response = client.put("/api/sla/calendar", data="{", headers={**headers[Role.ADMIN], "Content-Type": "application/json"})
    assert response.status_code == 400 and response.json["error"]["code"] == "bad_request"


def test_targets_carry_the_business_hours_flags(client, headers):
    assert client.get("/api/sla/targets", headers=headers[Role.VIEWER]).json == {**DEFAULT_TARGETS, "business_hours": EVERY_HOUR}


def test_targets_accept_minutes_or_an_object_per_priority(client, headers):
    admin = headers[Role.ADMIN]
    # The original body still works and leaves the flags alone.
    assert client.put("/api/sla/targets", json={"High": 600}, headers=admin).json == {
        **DEFAULT_TARGETS, "High": 600, "business_hours": EVERY_HOUR}
    response = client.put(
        "/api/sla/targets", json={"High": {"business_hours": True}, "Critical": {"minutes": 120, "business_hours": True}},
        headers=admin,
    )
    expected = {**DEFAULT_TARGETS, "High": 600, "Critical": 120, "business_hours": {**EVERY_HOUR, "High": True, "Critical": True}}
    assert response.status_code == 200 and response.json == expected
    assert client.get("/api/sla/targets", headers=headers[Role.AGENT]).json == expected


def test_what_get_returns_is_a_valid_put_body(client, headers):
    admin = headers[Role.ADMIN]
    body = client.get("/api/sla/targets", headers=admin).json
    body["Low"] = 6000
    body["business_hours"]["Medium"] = True
    response = client.put("/api/sla/targets", json=body, headers=admin)
    assert response.status_code == 200 and response.json == body
    partial = client.put("/api/sla/targets", json={"business_hours": {"Medium": False}}, headers=admin)
    assert partial.json == {**body, "business_hours": EVERY_HOUR}


@pytest.mark.parametrize(
    "body",
    [
        {"High": {"business_hours": "maybe"}},
        {"High": {"minutes": 0}},
        {"High": {"hours": 2}},
        {"High": {}},
        {"business_hours": {"Urgent": True}},
        {"business_hours": {"High": True}, "High": {"business_hours": False}},
        {"business_hours": True},
    ],
)
def test_invalid_flags_are_422(client, headers, body):
    response = client.put("/api/sla/targets", json=body, headers=headers[Role.ADMIN])
    assert response.status_code == 422, response.json
    assert response.json["error"]["details"]
    assert client.get("/api/sla/targets", headers=headers[Role.ADMIN]).json == {**DEFAULT_TARGETS, "business_hours": EVERY_HOUR}


def test_only_admins_set_the_flags(client, headers):
    response = client.put("/api/sla/targets", json={"business_hours": {"Low": True}}, headers=headers[Role.MANAGER])
    assert response.status_code == 403
    assert client.get("/api/sla/targets", headers=headers[Role.MANAGER]).json["business_hours"] == EVERY_HOUR


def test_the_document_describes_both_shapes(client):
    document = client.get("/api/openapi.json").json
    assert set(document["paths"]["/api/sla/calendar"]) == {"get", "put"}
    schemas = document["components"]["schemas"]
    assert "business_hours" in schemas["SlaTargetsOut"]["required"]
    assert set(schemas["SlaCalendarOut"]["properties"]) == {"timezone", "hours", "holidays"}
    put = document["paths"]["/api/sla/calendar"]["put"]
    assert {"200", "400", "401", "403", "422"} <= set(put["responses"])
