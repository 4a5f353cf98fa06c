"""The audit log and the task history exported as CSV through the background exports, for compliance reviews."""
import csv
import io
import json
import uuid

import pytest

import db
from db.models import Role
from tests.api.test_exports_api import headers, start, wait_for
from tests.conftest import PASSWORD
from workflow import tasks, users


@pytest.fixture(scope="module")
def crew(bg_app):
    """An admin, a manager and a viewer; the admin renamed a user whose name is a spreadsheet formula; tasks with history."""
    made = {}
    with bg_app.app_context():
        for role in (Role.ADMIN, Role.MANAGER, Role.VIEWER):
            name = f"{role.value.lower()}_{uuid.uuid4().hex[:6]}"
            made[role.value.lower()] = users.create_user(
                actor=None, username=name, email=f"{name}@example.com", full_name=f"{role.value} Logs",
                role=role, password=PASSWORD,
            )
        users.update_user(actor=made["admin"], user_id=made["viewer"].id, changes={"full_name": "=HYPERLINK(\"x\")"})
        for n in range(3):
            task = tasks.create_task(actor=made["manager"], title=f"Logged task {n}")
            tasks.update_task(actor=made["manager"], task_id=task.id, changes={"title": f"Logged task {n}, renamed"})
        made["task_id"] = task.id
        db.session.remove()
    return made


def _download(client, done: dict) -> list[dict]:
    assert done["status"] == "done", done
    body = client.get(done["download_url"])
    assert body.status_code == 200
    return list(csv.DictReader(io.StringIO(body.get_data(as_text=True))))


def test_the_audit_log_exports_with_its_filters_and_safe_cells(bg_client, bg_app, crew):
    head = headers(bg_app, crew["admin"])
    done = wait_for(bg_client, start(bg_client, head, "audit", {"action": "user.updated"})["id"], head)
    rows = _download(bg_client, done)
    assert done["rows"] == len(rows) == 1
    row = rows[0]
    assert (row["action"], row["actor"], row["target_id"]) == ("user.updated", crew["admin"].username, str(crew["viewer"].id))
    # The formula reaches the spreadsheet as text: the cell starts with a quote, not with `{` or `=`.
    assert json.loads(row["after"]) == {"full_name": "=HYPERLINK(\"x\")"}
    assert row["at"].endswith("Z") and row["id"]
    listed = bg_client.get("/api/audit?action=user.updated", headers=head).json["items"]
    assert [item["id"] for item in listed] == [row["id"]]
    # The export itself is in the log.
    assert bg_client.get("/api/audit?action=export.requested", headers=head).json["items"][0]["after"]["report"] == "audit"


def test_the_task_history_exports_oldest_first(bg_client, bg_app, crew):
    head = headers(bg_app, crew["manager"])
    done = wait_for(bg_client, start(bg_client, head, "history", {"task_id": str(crew["task_id"])})["id"], head)
    rows = _download(bg_client, done)
    assert [r["change_type"] for r in rows] == ["Creation", "Edit"]
    assert {r["task"] for r in rows} == {"Logged task 2, renamed"} and rows[0]["changed_by"] == crew["manager"].username
    assert json.loads(rows[1]["new_value"]) == {"title": "Logged task 2, renamed"}
    everything = _download(bg_client, wait_for(bg_client, start(bg_client, head, "history", {"change_type": "Edit"})["id"], head))
    assert len(everything) == 3 and [r["changed_at"] for r in everything] == sorted(r["changed_at"] for r in everything)


@pytest.mark.parametrize(("role", "report", "status"), [
    ("manager", "audit", 403), ("viewer", "audit", 403), ("viewer", "history", 403), ("admin", "history", 202),
])
def test_who_may_export_the_logs(bg_client, bg_app, crew, role, report, status):
    response = bg_client.post("/api/exports", json={"report": report, "filters": {}}, headers=headers(bg_app, crew[role]))
    assert response.status_code == status, response.json


@pytest.mark.parametrize(("report", "filters"), [
    ("audit", {"action": "user.renamed"}), ("audit", {"date_from": "yesterday"}), ("history", {"change_type": "Deleted"}),
    ("history", {"task_id": "not-a-uuid"}), ("history", {"priority": "High"}),
])
def test_bad_log_filters_are_422(bg_client, bg_app, crew, report, filters):
    response = bg_client.post("/api/exports", json={"report": report, "filters": filters}, headers=headers(bg_app, crew["admin"]))
    assert response.status_code == 422, response.json
