"""Report subscriptions through the API: subscribe with a report's export filters, list them with their runs and
download links (the report's own CSV), delete them; analytics only for their readers, views only your own."""
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from db.models import Role
from db.types import utcnow
from workflow import saved_views, subscriptions, users


@pytest.fixture
def local_store(app, tmp_path):
    app.config.update(LOCAL_STORAGE_DIR=str(tmp_path / "store"))
    return tmp_path / "store"


def _run_all(app, days: int = 8) -> int:
    """The scheduled run, a week and a day from now: every subscription made in the test is due."""
    with app.app_context():
        return subscriptions.run_due(now=utcnow() + timedelta(days=days))


def test_subscribe_list_and_download_the_reports_csv(client, app, people, auth_headers, make_task, local_store):
    manager = people["manager"]
    head = auth_headers(manager)
    make_task(manager, title="Capacity review", assigned_to=people["agent"].id)
    body = {"report": "workload", "filters": {"table": "by_assignee", "priority": "Medium"}, "frequency": "weekly", "hour": 9}
    created = client.post("/api/subscriptions", json=body, headers=head)
    assert created.status_code == 201, created.json
    out = created.json
    assert created.headers["Location"] == f"/api/subscriptions/{out['id']}"
    assert {k: out[k] for k in ("report", "filters", "frequency", "hour", "weekday", "status", "runs")} == {
        "report": "workload", "filters": {"table": "by_assignee", "priority": "Medium"}, "frequency": "weekly",
        "hour": 9, "weekday": 0, "status": "active", "runs": []}
    assert out["title"] == "Workload report · by assignee" and out["schedule"] == "Weekly on Monday at 09:00 (UTC)"
    assert out["next_run_at"] and out["stopped_reason"] is None

    assert _run_all(app) == 1
    listed = client.get("/api/subscriptions", headers=head)
    assert listed.status_code == 200 and listed.json["next_cursor"] is None
    [item] = listed.json["items"]
    [run] = item["runs"]
    assert run["status"] == "done" and run["period"].count("-W") == 1
    downloaded = client.get(urlsplit(run["download_url"]).path)
    assert downloaded.status_code == 200
    streamed = client.get("/api/reports/workload?format=csv&table=by_assignee&priority=Medium", headers=head)
    assert downloaded.get_data() == streamed.get_data() and run["bytes"] == len(streamed.get_data())
    assert run["rows"] == len(streamed.get_data().splitlines()) - 1 >= 1
    # Run again for the same week: nothing new.
    assert _run_all(app) == 0
    assert len(client.get("/api/subscriptions", headers=head).json["items"][0]["runs"]) == 1


def test_a_task_list_subscription_takes_the_task_lists_filters(client, app, people, auth_headers, make_task, local_store):
    agent = people["agent"]
    head = auth_headers(agent)
    make_task(agent, title="Mine", assigned_to=agent.id)
    make_task(agent, title="Not mine")
    created = client.post("/api/subscriptions", json={"report": "tasks", "filters": {"assigned_to": "me", "sort": "title"},
                                                      "frequency": "daily"}, headers=head)
    assert created.status_code == 201, created.json
    assert created.json["filters"] == {"assigned_to": str(agent.id), "sort": "title"}
    assert created.json["hour"] == 7 and created.json["weekday"] is None
    assert _run_all(app) == 1
    [run] = client.get("/api/subscriptions", headers=head).json["items"][0]["runs"]
    streamed = client.get(f"/api/reports/tasks?format=csv&assigned_to={agent.id}&sort=title", headers=head)
    assert client.get(urlsplit(run["download_url"]).path).get_data() == streamed.get_data()


def test_an_agent_cannot_subscribe_to_analytics(client, people, auth_headers):
    for report in ("sla", "workload", "status-flow", "flow-metrics"):
        refused = client.post("/api/subscriptions", json={"report": report, "frequency": "daily"},
                              headers=auth_headers(people["agent"]))
        assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    assert client.get("/api/subscriptions", headers=auth_headers(people["agent"])).json["items"] == []


@pytest.mark.parametrize("body", [
    {"report": "sla", "frequency": "monthly"},
    {"report": "sla", "frequency": "daily", "hour": 24},
    {"report": "sla", "frequency": "daily", "hour": -1},
    {"report": "sla", "frequency": "weekly", "weekday": 7},
    {"report": "nope", "frequency": "daily"},
    {"report": "sla", "filters": {"table": "nope"}, "frequency": "daily"},
    {"report": "sla", "filters": {"priority": "Urgent"}, "frequency": "daily"},
    {"report": "view:00000000-0000-0000-0000-000000000000", "frequency": "daily"},
    {"report": "sla", "frequency": "daily", "extra": True},
    {"frequency": "daily"},
])
def test_invalid_subscriptions_are_refused(client, people, auth_headers, body):
    response = client.post("/api/subscriptions", json=body, headers=auth_headers(people["manager"]))
    assert response.status_code == 422, response.json


def test_a_saved_view_only_your_own(client, app, people, auth_headers, local_store):
    with app.app_context():
        view = saved_views.save_view(actor=people["viewer"], name="Open work", state={"filters": {"status": "New"}})
    body = {"report": f"view:{view.id}", "frequency": "daily", "hour": 6}
    assert client.post("/api/subscriptions", json=body, headers=auth_headers(people["agent"])).status_code == 422
    mine = client.post("/api/subscriptions", json=body, headers=auth_headers(people["viewer"]))
    assert mine.status_code == 201 and mine.json["title"] == "Saved view 'Open work'" and mine.json["filters"] == {}


def test_delete_own_or_as_admin_and_a_stopped_one_is_listed_as_such(client, app, people, auth_headers, make_user, local_store):
    manager = make_user(Role.MANAGER)
    head = auth_headers(manager)
    sla = client.post("/api/subscriptions", json={"report": "sla", "frequency": "daily"}, headers=head).json
    tasks = client.post("/api/subscriptions", json={"report": "tasks", "frequency": "daily"}, headers=head).json
    assert _run_all(app) == 2
    assert client.delete(f"/api/subscriptions/{sla['id']}", headers=auth_headers(people["manager"])).status_code == 404
    assert client.delete(f"/api/subscriptions/{sla['id']}", headers=auth_headers(people["agent"])).status_code == 404

    # Moved to a role that reads no analytics: the SLA subscription stops at its next run, and says why.
    with app.app_context():
        users.update_user(actor=people["admin"], user_id=manager.id, changes={"role": Role.AGENT})
    assert _run_all(app, days=9) == 1
    items = {item["id"]: item for item in client.get("/api/subscriptions", headers=head).json["items"]}
    assert items[sla["id"]]["status"] == "stopped" and items[sla["id"]]["next_run_at"] is None
    assert items[sla["id"]]["stopped_reason"] == "its owner's role (Agent) may no longer read this report"
    assert items[tasks["id"]]["status"] == "active" and len(items[tasks["id"]]["runs"]) == 2

    assert client.delete(f"/api/subscriptions/{sla['id']}", headers=auth_headers(people["admin"])).status_code == 204
    assert client.delete(f"/api/subscriptions/{tasks['id']}", headers=head).status_code == 204
    assert client.delete(f"/api/subscriptions/{tasks['id']}", headers=head).status_code == 404
    assert client.get("/api/subscriptions", headers=head).json["items"] == []
    assert not [p for p in local_store.rglob("*") if p.is_file()]


def test_an_emailed_link_that_is_forged_or_unknown_is_refused(client):
    response = client.get("/api/subscriptions/files/not-a-token")
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
