"""GET /api/reports/tasks: the task list's filters as JSON pages or one streamed CSV that reads back exactly."""
import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from db.models import Priority, Role, TaskStatus
from reports import task_csv
from workflow import cases, tasks

AWKWARD_TITLES = [
    'Comma, "quoted" and\nnewline',
    "Ünïcödé — 東京 ✓",
    "=SUM(A1:A2) looks like a formula",
    "  leading and trailing spaces  ",
]


def _csv(response) -> list[dict]:
    assert response.status_code == 200, response.data[:500]
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="tasks-')
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8"), newline="")))


@pytest.fixture
def exported(ctx, make_user):
    """A marker, the tasks behind it and their people."""
    manager = make_user(Role.MANAGER, full_name="Mia Manager")
    agent = make_user(Role.AGENT, full_name="Abe Agent")
    case = cases.create_case(actor=manager, title="Export case")
    marker = "zq-export-marker"
    due = datetime(2031, 2, 3, 4, 5, 6, tzinfo=timezone.utc)
    made = []
    for number, title in enumerate(AWKWARD_TITLES):
        made.append(tasks.create_task(
            actor=manager, title=f"{marker} {title}", description=f"line one\nline two, {number}",
            priority=[Priority.LOW, Priority.HIGH, Priority.CRITICAL, Priority.MEDIUM][number],
            assigned_to=agent.id if number % 2 == 0 else None, case_id=case.id if number == 0 else None,
            due_date=due + timedelta(days=number) if number != 3 else None,
            tags=["vip", "needs, comma"] if number == 0 else [],
        ))
    tasks.change_status(actor=manager, task_id=made[1].id, status=TaskStatus.IN_PROGRESS)
    return marker, made, manager, agent, case


def test_csv_reads_back_exactly_what_was_stored(exported, client, auth_headers):
    marker, made, manager, agent, case = exported
    rows = _csv(client.get(f"/api/reports/tasks?format=csv&q={marker}&sort=created_at", headers=auth_headers(agent)))
    assert list(rows[0]) == task_csv.HEADER
    assert [row["title"] for row in rows] == [f"{marker} {title}" for title in AWKWARD_TITLES]
    first = rows[0]
    assert first["id"] == str(made[0].id)
    assert first["description"] == "line one\nline two, 0"
    assert (first["status"], first["priority"]) == ("New", "Low")
    assert (first["assigned_to"], first["created_by"]) == (agent.username, manager.username)
    assert first["due_date"] == "2031-02-03T04:05:06Z"
    assert first["created_at"] == made[0].created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert first["case"] == case.reference
    assert first["tags"] == "vip; needs, comma"
    assert rows[1]["status"] == "In Progress" and rows[1]["assigned_to"] == "" and rows[1]["case"] == ""
    assert rows[3]["due_date"] == "" and rows[3]["tags"] == ""


def test_csv_follows_the_filters_and_the_sort(exported, client, auth_headers):
    marker, made, _manager, agent, _case = exported
    headers = auth_headers(agent)
    mine = _csv(client.get(f"/api/reports/tasks?format=csv&q={marker}&assigned_to=me", headers=headers))
    assert {row["id"] for row in mine} == {str(made[0].id), str(made[2].id)}
    by_due = _csv(client.get(f"/api/reports/tasks?format=csv&q={marker}&sort=-due_date", headers=headers))
    # Latest due first, tasks without a due date last: the order the task list pages in.
    assert [row["id"] for row in by_due] == [str(made[i].id) for i in (2, 1, 0, 3)]
    vip = _csv(client.get(f"/api/reports/tasks?format=csv&q={marker}&tag=vip", headers=headers))
    assert [row["id"] for row in vip] == [str(made[0].id)]
    nothing = _csv(client.get("/api/reports/tasks?format=csv&q=no-such-task-anywhere", headers=headers))
    assert nothing == []


def test_csv_of_more_rows_than_a_page_keeps_every_row_once(ctx, make_user, client, auth_headers, monkeypatch):
    monkeypatch.setattr("reports.task_csv.PAGE_ROWS", 7)
    monkeypatch.setattr("reports.csv_stream.CHUNK_BYTES", 64)
    manager = make_user(Role.MANAGER)
    made = {str(tasks.create_task(actor=manager, title=f"zq-many {n:02d}").id) for n in range(30)}
    rows = _csv(client.get("/api/reports/tasks?format=csv&q=zq-many&sort=title", headers=auth_headers(manager)))
    assert [row["title"] for row in rows] == [f"zq-many {n:02d}" for n in range(30)]
    assert {row["id"] for row in rows} == made


def test_json_is_the_task_list_page(exported, client, auth_headers):
    marker, made, _manager, agent, _case = exported
    response = client.get(f"/api/reports/tasks?q={marker}&limit=2&sort=created_at", headers=auth_headers(agent))
    assert response.status_code == 200
    body = response.json
    assert [item["id"] for item in body["items"]] == [str(made[0].id), str(made[1].id)]
    assert body["next_cursor"]


@pytest.mark.parametrize("query", ["format=xml", "format=csv&sort=colour", "format=csv&status=Done", "format=csv&assigned_to=x"])
def test_bad_queries_are_refused_before_any_csv(ctx, make_user, client, auth_headers, query):
    response = client.get(f"/api/reports/tasks?{query}", headers=auth_headers(make_user(Role.VIEWER)))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_failed"


def test_anonymous_gets_no_csv(client):
    response = client.get("/api/reports/tasks?format=csv")
    assert response.status_code == 401


def test_a_reader_leaving_mid_download_stops_the_export_and_frees_the_connection(ctx, make_user, monkeypatch):
    monkeypatch.setattr("reports.task_csv.PAGE_ROWS", 3)
    monkeypatch.setattr("reports.csv_stream.CHUNK_BYTES", 16)
    manager = make_user(Role.MANAGER)
    for n in range(20):
        tasks.create_task(actor=manager, title=f"zq-leave {n:02d}")
    chunks = task_csv.stream_tasks_csv(filters=tasks.TaskFilters(q="zq-leave"), sort="title")
    first = next(chunks)
    assert first.startswith(b"id,title,")
    chunks.close()
    # The same connection answers the next query at once: no COPY left half-read on it.
    assert tasks.status_counts(filters=tasks.TaskFilters(q="zq-leave"))["New"] == 20
