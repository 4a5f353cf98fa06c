"""Task endpoints: create, read, update with ETag/If-Match, status, delete, list and pagination."""
from datetime import datetime, timedelta, timezone

import pytest

from db.models import Priority


def future(hours: int = 48) -> str:
    return (datetime.now(timezone.utc) + timedelta(hours=hours)).isoformat()


def test_create_returns_201_location_etag_and_creation_history(client, people, auth_headers):
    agent = people["agent"]
    response = client.post(
        "/api/tasks",
        json={"title": "Refund order 42", "priority": "High", "due_date": future(), "tags": ["billing", "billing", "vip"]},
        headers=auth_headers(agent),
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert response.headers["Location"].endswith(f"/api/tasks/{body['id']}")
    assert response.headers["ETag"] == '"1"'
    assert body["status"] == "New" and body["priority"] == "High" and body["version"] == 1
    assert body["tags"] == ["billing", "vip"]
    assert body["created_by"] == str(agent.id) and body["assigned_to"] is None
    assert body["allowed_transitions"] == ["In Progress", "On Hold", "Cancelled"]
    history = client.get(f"/api/tasks/{body['id']}/history", headers=auth_headers(agent)).json["items"]
    assert [h["change_type"] for h in history] == ["Creation"]
    assert history[0]["old_value"] is None and history[0]["new_value"]["title"] == "Refund order 42"


def test_get_sends_etag_and_unknown_task_is_404(client, people, auth_headers, make_task):
    task = make_task(people["agent"])
    response = client.get(f"/api/tasks/{task.id}", headers=auth_headers(people["viewer"]))
    assert response.status_code == 200 and response.headers["ETag"] == '"1"'
    missing = client.get("/api/tasks/0194c3a0-0000-7000-8000-000000000000", headers=auth_headers(people["viewer"]))
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"


def test_stale_if_match_is_412_and_nothing_changes(client, people, auth_headers, make_task):
    agent = people["agent"]
    task = make_task(agent)
    url = f"/api/tasks/{task.id}"
    first = client.put(url, json={"title": "New title"}, headers={**auth_headers(agent), "If-Match": '"1"'})
    assert first.status_code == 200 and first.headers["ETag"] == '"2"'
    stale = client.put(url, json={"title": "Lost update"}, headers={**auth_headers(agent), "If-Match": '"1"'})
    assert stale.status_code == 412 and stale.json["error"]["code"] == "precondition_failed"
    stale_body = client.patch(url, json={"title": "Lost update", "version": 1}, headers=auth_headers(agent))
    assert stale_body.status_code == 409 and stale_body.json["error"]["details"] == {"current_version": 2}
    assert client.get(url, headers=auth_headers(agent)).json["title"] == "New title"


def test_status_transition_and_invalid_transition_lists_allowed(client, people, auth_headers, make_task):
    agent = people["agent"]
    task = make_task(agent, assigned_to=agent.id)
    url = f"/api/tasks/{task.id}/status"
    moved = client.patch(url, json={"status": "In Progress"}, headers=auth_headers(agent))
    assert moved.status_code == 200 and moved.json["status"] == "In Progress"
    refused = client.patch(url, json={"status": "New"}, headers=auth_headers(agent))
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "invalid_transition"
    assert refused.json["error"]["details"]["allowed"] == ["On Hold", "Completed", "Cancelled"]


def test_delete_is_204_then_404_and_leaves_lists(client, people, auth_headers, make_task):
    task = make_task(people["agent"])
    manager = auth_headers(people["manager"])
    assert client.delete(f"/api/tasks/{task.id}", headers=manager).status_code == 204
    assert client.get(f"/api/tasks/{task.id}", headers=manager).status_code == 404
    listed = client.get("/api/tasks", headers=manager).json["items"]
    assert str(task.id) not in [item["id"] for item in listed]
    # The audit trail stays, and supervisors can still read it.
    history = client.get(f"/api/tasks/{task.id}/history", headers=manager).json["items"]
    assert [h["change_type"] for h in history] == ["Creation", "Edit"]
    assert history[-1]["new_value"]["deleted_at"] is not None


@pytest.mark.parametrize("sort", ["-created_at", "due_date", "-due_date", "title", "-priority", "status"])
def test_cursor_pagination_walks_every_task_once_in_order(client, people, auth_headers, make_task, sort):
    agent = people["agent"]
    for n in range(7):
        make_task(
            agent,
            title=f"Task {n % 3}",
            priority=list(Priority)[n % 4],
            due_date=None if n % 3 == 0 else datetime.now(timezone.utc) + timedelta(days=n % 4 + 1),
        )
    headers = auth_headers(agent)
    everything = client.get(f"/api/tasks?limit=500&sort={sort}", headers=headers).json["items"]
    seen, cursor = [], None
    while True:
        query = f"/api/tasks?limit=2&sort={sort}" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(query, headers=headers).json
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [t["id"] for t in seen] == [t["id"] for t in everything]
    assert len(seen) == 7
    if sort.lstrip("-") == "due_date":
        dues = [t["due_date"] for t in seen]
        assert dues[-2:] == [None, None] or dues.count(None) == 3 and dues[-3:] == [None] * 3


def test_filters(client, people, auth_headers, make_task):
    agent, manager = people["agent"], people["manager"]
    make_task(agent, title="Printer jam on floor 3", tags=["hardware"], assigned_to=agent.id)
    make_task(manager, title="Quarterly report", priority=Priority.CRITICAL, tags=["finance"])
    headers = auth_headers(agent)

    def titles(query):
        response = client.get(f"/api/tasks?{query}", headers=headers)
        assert response.status_code == 200, response.json
        return sorted(t["title"] for t in response.json["items"])

    assert titles("tag=hardware") == ["Printer jam on floor 3"]
    assert titles("q=PRINTER") == ["Printer jam on floor 3"]
    assert titles("q=100%25") == []
    assert titles("priority=Critical") == ["Quarterly report"]
    assert titles("assigned_to=me") == ["Printer jam on floor 3"]
    assert titles("assigned_to=none") == ["Quarterly report"]
    assert titles(f"created_by={manager.id}") == ["Quarterly report"]
    assert titles("status=Completed") == []
