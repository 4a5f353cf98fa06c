"""GET /api/audit: what the Admin reads, filtered and paged; no endpoint changes a row."""
from datetime import datetime, timedelta, timezone

from db.models import Role
from tests.conftest import PASSWORD


def _all(client, headers, query: str = "") -> list[dict]:
    """Every page of the log under `query`, following the cursors."""
    items, cursor = [], None
    while True:
        url = f"/api/audit?limit=2{query}" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.json
        items += response.json["items"]
        cursor = response.json["next_cursor"]
        if cursor is None:
            return items


def test_sign_ins_through_the_api_are_read_back_newest_first(client, people, auth_headers):
    agent = people["agent"]
    assert client.post("/api/auth/login", json={"username": agent.username, "password": "nope"}).status_code == 401
    assert client.post("/api/auth/login", json={"username": agent.username, "password": PASSWORD}).status_code == 200
    events = _all(client, auth_headers(people["admin"]), "&action=auth")
    assert [e["action"] for e in events] == ["auth.signed_in", "auth.sign_in_failed"]
    assert events[0]["actor_id"] == str(agent.id) and events[0]["address"] == "127.0.0.1"
    assert events[1]["actor_id"] is None and events[1]["actor_name"] == agent.username


def test_filters_by_action_actor_target_and_time(client, people, make_user, auth_headers):
    admin, manager = people["admin"], people["manager"]
    headers = auth_headers(admin)
    target = make_user(Role.AGENT)
    for name in ("First", "Second", "Third"):
        response = client.put(f"/api/users/{target.id}", json={"full_name": name}, headers=headers)
        assert response.status_code == 200, response.json
    client.put("/api/board/wip-limits", json={"department": "Support", "limits": {"On Hold": 3}}, headers=auth_headers(manager))

    renames = _all(client, headers, f"&action=user.updated&target_id={target.id}")
    assert [e["after"]["full_name"] for e in renames] == ["Third", "Second", "First"]
    assert [e["before"]["full_name"] for e in renames] == ["Second", "First", "Agent 6"]
    assert {e["action"] for e in _all(client, headers, f"&actor={manager.id}")} == {"board.wip_limits_changed"}
    assert len(_all(client, headers, "&action=user&target_type=user")) >= 3 + 6  # the renames and the creations

    now = datetime.now(timezone.utc)
    later = (now + timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    assert _all(client, headers, f"&date_from={later}") == []
    assert len(_all(client, headers, f"&date_to={later}&target_id={target.id}&action=user.updated")) == 3


def test_bad_filters_are_422(client, people, auth_headers):
    headers = auth_headers(people["admin"])
    for query in ("action=user.renamed", "actor=someone", "date_from=yesterday", "limit=0"):
        response = client.get(f"/api/audit?{query}", headers=headers)
        assert response.status_code == 422, (query, response.json)
        assert response.json["error"]["code"]


def test_no_endpoint_changes_or_deletes_a_row(client, people, auth_headers):
    headers = auth_headers(people["admin"])
    client.put(f"/api/users/{people['agent'].id}", json={"full_name": "Renamed"}, headers=headers)
    before = _all(client, headers)
    event_id = before[0]["id"]
    for method, url in (("post", "/api/audit"), ("put", "/api/audit"), ("delete", "/api/audit"),
                        ("put", f"/api/audit/{event_id}"), ("delete", f"/api/audit/{event_id}"),
                        ("patch", f"/api/audit/{event_id}")):
        response = getattr(client, method)(url, json={"actor_name": "someone else"}, headers=headers)
        assert response.status_code in (404, 405), (method, url, response.status_code)
    assert _all(client, headers) == before
