"""Cases, users, comments, watchers and notifications through the API."""
import re
from datetime import datetime, timedelta, timezone

from db import session
from db.models import Notification, NotificationType, TaskStatus
from db.types import uuid7


def test_cases_get_sequential_references_counts_and_filter(client, people, auth_headers, make_task):
    manager = auth_headers(people["manager"])
    first = client.post("/api/cases", json={"title": "Office move"}, headers=manager)
    second = client.post("/api/cases", json={"title": "Audit 2026", "description": "Yearly"}, headers=manager)
    assert first.status_code == second.status_code == 201
    year = datetime.now(timezone.utc).year
    assert re.fullmatch(rf"CASE-{year}-\d{{5}}", first.json["reference"])
    assert int(second.json["reference"][-5:]) == int(first.json["reference"][-5:]) + 1
    assert second.headers["Location"].endswith(f"/api/cases/{second.json['id']}")
    case_id = first.json["id"]
    task = client.post("/api/tasks", json={"title": "Pack", "case_id": case_id}, headers=manager).json
    client.post("/api/tasks", json={"title": "Label", "case_id": case_id}, headers=manager)
    client.patch(f"/api/tasks/{task['id']}/status", json={"status": "In Progress"}, headers=manager)
    detail = client.get(f"/api/cases/{case_id}", headers=manager).json
    assert detail["task_counts"] == {"New": 1, "In Progress": 1, "On Hold": 0, "Completed": 0, "Cancelled": 0}
    listed = client.get(f"/api/tasks?case_id={case_id}", headers=manager).json["items"]
    assert sorted(t["title"] for t in listed) == ["Label", "Pack"]
    found = client.get("/api/cases?q=audit", headers=manager).json["items"]
    assert [c["title"] for c in found] == ["Audit 2026"]


def test_closed_case_takes_no_new_tasks(client, people, auth_headers):
    manager = auth_headers(people["manager"])
    case = client.post("/api/cases", json={"title": "Done"}, headers=manager).json
    closed = client.put(f"/api/cases/{case['id']}", json={"status": "closed"}, headers=manager)
    assert closed.status_code == 200 and closed.json["status"] == "closed"
    refused = client.post("/api/tasks", json={"title": "Late", "case_id": case["id"]}, headers=manager)
    assert refused.status_code == 422 and refused.json["error"]["details"][0]["field"] == "case_id"
    assert client.get("/api/cases?status=closed", headers=manager).json["items"][0]["id"] == case["id"]


def test_users_create_update_duplicate_and_self_service(client, people, auth_headers):
    admin = auth_headers(people["admin"])
    body = {
        "username": "new.agent", "email": "new.agent@example.com", "full_name": "New Agent",
        "role": "Agent", "password": "long-enough-password", "department": "Billing", "phone": "+447700900123",
    }
    created = client.post("/api/users", json=body, headers=admin)
    assert created.status_code == 201 and "password" not in created.json and "password_hash" not in created.json
    duplicate = client.post("/api/users", json={**body, "email": "other@example.com"}, headers=admin)
    assert duplicate.status_code == 409 and duplicate.json["error"]["details"][0]["field"] == "username"
    user_id = created.json["id"]
    changed = client.put(f"/api/users/{user_id}", json={"role": "Manager", "department": None}, headers=admin)
    assert changed.json["role"] == "Manager" and changed.json["department"] is None
    token = client.post("/api/auth/login", json={"username": "new.agent", "password": "long-enough-password"}).json
    own = {"Authorization": f"Bearer {token['access_token']}"}
    assert client.put(f"/api/users/{user_id}", json={"full_name": "Renamed"}, headers=own).json["full_name"] == "Renamed"
    refused = client.put(f"/api/users/{user_id}", json={"role": "Admin"}, headers=own)
    assert refused.status_code == 403 and refused.json["error"]["details"] == {"fields": ["role"]}
    assert client.get("/api/users?role=Manager&q=renamed", headers=own).json["items"][0]["id"] == user_id


def test_admin_cannot_deactivate_themself(client, people, auth_headers):
    admin = people["admin"]
    response = client.put(f"/api/users/{admin.id}", json={"is_active": False}, headers=auth_headers(admin))
    assert response.status_code == 409


def test_comments_oldest_first_with_pagination(client, people, auth_headers, make_task):
    task = make_task(people["manager"])
    agent = auth_headers(people["other_agent"])
    for n in range(3):
        response = client.post(f"/api/tasks/{task.id}/comments", json={"body": f"Note {n}"}, headers=agent)
        assert response.status_code == 201 and response.json["author_id"] == str(people["other_agent"].id)
    page = client.get(f"/api/tasks/{task.id}/comments?limit=2", headers=agent).json
    rest = client.get(f"/api/tasks/{task.id}/comments?cursor={page['next_cursor']}", headers=agent).json
    assert [c["body"] for c in page["items"] + rest["items"]] == ["Note 0", "Note 1", "Note 2"]
    assert rest["next_cursor"] is None


def test_watch_and_unwatch_are_idempotent(client, people, auth_headers, make_task):
    task = make_task(people["manager"])
    viewer, viewer_headers = people["viewer"], auth_headers(people["viewer"])
    url = f"/api/tasks/{task.id}/watchers"
    assert client.post(url, json={}, headers=viewer_headers).json["watchers"] == [str(viewer.id)]
    assert client.post(url, json={}, headers=viewer_headers).json["watchers"] == [str(viewer.id)]
    manager = auth_headers(people["manager"])
    agent_id = str(people["agent"].id)
    assert set(client.post(url, json={"user_id": agent_id}, headers=manager).json["watchers"]) == {str(viewer.id), agent_id}
    assert client.delete(url, headers=viewer_headers).status_code == 204
    assert client.delete(url, headers=viewer_headers).status_code == 204
    assert client.delete(f"{url}?user_id={agent_id}", headers=manager).status_code == 204
    assert client.post(url, json={}, headers=manager).json["watchers"] == [str(people["manager"].id)]


def _notify(app, user, n, read=False, task=None):
    with app.app_context():
        for i in range(n):
            session.add(
                Notification(
                    id=uuid7(), user_id=user.id, content=f"Message {i}", type=NotificationType.TASK_ASSIGNMENT,
                    read=read, related_task_id=task.id if task else None,
                    created_at=datetime.now(timezone.utc) - timedelta(minutes=n - i),
                )
            )
        session.commit()


def test_notifications_are_private_and_marked_read(app, client, people, auth_headers, make_task):
    agent, other = people["agent"], people["other_agent"]
    task = make_task(people["manager"])
    _notify(app, agent, 3, task=task)
    _notify(app, agent, 2, read=True)
    _notify(app, other, 1)
    headers = auth_headers(agent)
    unread = client.get("/api/notifications?unread=true", headers=headers).json["items"]
    assert [n["content"] for n in unread] == ["Message 2", "Message 1", "Message 0"]
    assert set(unread[0]) >= {"id", "type", "content", "read", "related_task_id", "created_at"}
    assert unread[0]["type"] == "Task Assignment" and unread[0]["related_task_id"] == str(task.id)
    assert len(client.get("/api/notifications", headers=headers).json["items"]) == 5
    assert client.get("/api/notifications/unread-count", headers=headers).json == {"unread": 3}
    others = client.get("/api/notifications", headers=auth_headers(other)).json["items"]
    assert client.patch(f"/api/notifications/{others[0]['id']}/read", headers=headers).status_code == 404
    marked = client.patch(f"/api/notifications/{unread[0]['id']}/read", headers=headers)
    assert marked.status_code == 200 and marked.json["read"] is True
    assert client.get("/api/notifications/unread-count", headers=headers).json == {"unread": 2}
    assert client.post("/api/notifications/read-all", headers=headers).json == {"marked": 2}
    assert client.get("/api/notifications?unread=true", headers=headers).json["items"] == []
    assert client.get("/api/notifications/unread-count", headers=auth_headers(other)).json == {"unread": 1}


def test_notification_settings_defaults_and_partial_update(client, people, auth_headers):
    headers = auth_headers(people["agent"])
    defaults = client.get("/api/notifications/settings", headers=headers).json
    assert set(defaults) == {"Task Assignment", "Status Change", "Due Date", "Comment", "SLA Warning", "SLA Breach"}
    assert all(set(channels) == {"in_app", "email", "sms"} for channels in defaults.values())
    updated = client.post("/api/notifications/settings", json={"Comment": {"sms": True}}, headers=headers).json
    assert updated["Comment"] == {**defaults["Comment"], "sms": True}
    assert {k: v for k, v in updated.items() if k != "Comment"} == {k: v for k, v in defaults.items() if k != "Comment"}
    again = client.post("/api/notifications/settings", json={"Comment": {"in_app": False}}, headers=headers).json
    assert again["Comment"] == {**defaults["Comment"], "sms": True, "in_app": False}
    assert client.get("/api/notifications/settings", headers=headers).json == again
    bad = client.post("/api/notifications/settings", json={"Birthday": {"sms": True}}, headers=headers)
    assert bad.status_code == 422 and bad.json["error"]["details"][0]["field"] == "Birthday"


def test_health_checks(client):
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").json == {"status": "ok"}


def test_agent_takes_unassigned_task_but_not_an_assigned_one(client, people, auth_headers, make_task):
    agent = people["agent"]
    free = make_task(people["manager"])
    taken = make_task(people["manager"], assigned_to=people["other_agent"].id)
    headers = auth_headers(agent)
    ok = client.put(f"/api/tasks/{free.id}", json={"assigned_to": str(agent.id)}, headers=headers)
    assert ok.status_code == 200 and ok.json["assigned_to"] == str(agent.id)
    assert ok.json["allowed_transitions"] == [s.value for s in (TaskStatus.IN_PROGRESS, TaskStatus.ON_HOLD, TaskStatus.CANCELLED)]
    refused = client.put(f"/api/tasks/{taken.id}", json={"assigned_to": str(agent.id)}, headers=headers)
    assert refused.status_code == 403


def test_the_unread_poll_is_one_statement(app, client, people, auth_headers):
    from sqlalchemy import event

    _notify(app, people["agent"], 2)
    headers = auth_headers(people["agent"])
    statements = []

    def remember(_connection, _cursor, statement, *_rest):
        if not statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):  # the test's own transaction
            statements.append(statement)

    with app.app_context():
        engine_or_connection = app.extensions["db_bind"]
    event.listen(engine_or_connection, "before_cursor_execute", remember)
    try:
        assert client.get("/api/notifications/unread-count", headers=headers).json == {"unread": 2}
    finally:
        event.remove(engine_or_connection, "before_cursor_execute", remember)
    assert len(statements) == 1 and "count(" in statements[0].lower() and "is_active" in statements[0]
