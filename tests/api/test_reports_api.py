"""GET /api/reports/tasks: the task list's filters as JSON pages or one streamed CSV that reads back exactly."""
import csv
import io
from datetime import datetime, timedelta, timezone
from uuid import uuid4

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
    chunks = task_csv.stream_tasks_csv(filters=TaskFilters(q="zq-leave"), sort="title")
    first = next(chunks)
    assert first.startswith(b"id,title,")
    chunks.close()
    # The same connection answers the next query at once: no COPY left half-read on it.
    assert tasks.status_counts(filters=TaskFilters(q="zq-leave"))["New"] == 20


# --- analytics reports: sla, workload, status-flow, flow-metrics ---------------------------

from urllib.parse import urlencode  # noqa: E402

from db import session  # noqa: E402
from domain.filters import TaskFilters
from tests.reports.conftest import HistoryBuilder  # noqa: E402

WEEK = {"date_from": "2026-01-05T00:00:00Z", "date_to": "2026-01-12T00:00:00Z"}  # the Monday-to-Monday week of T0


@pytest.fixture
def analytics(ctx, make_user):
    """Three tasks under one tag in the week of T0: met (Critical), breached when completed (High), open and breached (Medium)."""
    marker = f"m{uuid4().hex[:10]}"
    agent = make_user(Role.AGENT, full_name="Ana Agent", department="Field")
    build = HistoryBuilder(make_user(Role.MANAGER), marker)
    met = build.task([(1, "In Progress"), (3, "Completed")], priority=Priority.CRITICAL, title="met, on time")
    late = build.task([(2, "In Progress"), (30, "Completed")], priority=Priority.HIGH, title="late")
    waiting = build.task(priority=Priority.MEDIUM, assigned_to=agent, due=10, title='open, "late", still')
    session.commit()
    return marker, agent, {"met": met, "late": late, "waiting": waiting}


def _report(client, headers, name, marker, **params):
    return client.get(f"/api/reports/{name}?" + urlencode({"tag": marker, **WEEK, **params}), headers=headers)


def _report_csv(response, name: str) -> list[dict]:
    assert response.status_code == 200, response.data[:500]
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith(f'attachment; filename="{name}-')
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8"), newline="")))


def test_sla_report_json(analytics, client, auth_headers, make_user):
    marker, _agent, made = analytics
    body = _report(client, auth_headers(make_user(Role.MANAGER)), "sla", marker).json
    assert body["targets"] == {"Low": 10080, "Medium": 4320, "High": 1440, "Critical": 240}
    assert body["overall"] == {"met": 1, "breached": 2, "compliance_pct": 33.3}
    by_priority = {row["priority"]: row for row in body["by_priority"]}
    assert (by_priority["Critical"]["met"], by_priority["High"]["breached"], by_priority["Medium"]["breached"]) == (1, 1, 1)
    # Nothing settled for Low: no percentage, null rather than NaN.
    assert by_priority["Low"]["compliance_pct"] is None and by_priority["All"]["target_minutes"] is None
    assert body["by_week"] == [{"week": "2026-01-05", "met": 1, "breached": 2, "compliance_pct": 33.3}]
    [watched] = body["watchlist"]
    assert watched["task_id"] == str(made["waiting"].id) and watched["state"] == "breached"
    assert watched["time_left_hours"] < 0


def test_workload_report_json(analytics, client, auth_headers, make_user):
    marker, agent, _made = analytics
    body = _report(client, auth_headers(make_user(Role.VIEWER)), "workload", marker).json
    [row] = body["by_assignee"]
    assert (row["assigned_to"], row["assignee_name"], row["department"]) == (str(agent.id), "Ana Agent", "Field")
    assert (row["open"], row["Medium"], row["overdue"], row["weighted_load"]) == (1, 1, 1, 2)
    assert body["by_department"][0]["department"] == "Field"
    assert body["unassigned"]["open"] == 0 and body["unassigned"]["oldest_created_at"] is None


def test_status_flow_report_json(analytics, client, auth_headers, make_user):
    marker, _agent, _made = analytics
    body = _report(client, auth_headers(make_user(Role.MANAGER)), "status-flow", marker).json
    moves = {(row["from_status"], row["to_status"]): row for row in body["transitions"]}
    assert set(moves) == {("New", "In Progress"), ("In Progress", "Completed")}
    assert moves["New", "In Progress"]["count"] == 2
    assert moves["New", "In Progress"]["median_hours_in_source"] == pytest.approx(1.5)
    assert moves["In Progress", "Completed"]["median_hours_in_source"] == pytest.approx(15)
    assert body["rework"]["reopens"] == 0


def test_flow_metrics_report_json(analytics, client, auth_headers, make_user):
    marker, _agent, made = analytics
    body = _report(client, auth_headers(make_user(Role.ADMIN)), "flow-metrics", marker).json
    assert body["throughput"] == [{"week": "2026-01-05", "completed": 2}]
    cycle_lead = body["cycle_lead"]
    assert cycle_lead["tasks"] == 2 and cycle_lead["cycle_p50_hours"] == pytest.approx(15)
    assert cycle_lead["lead_p50_hours"] == pytest.approx(16.5)
    latest = cycle_lead["points"][0]
    assert latest["task_id"] == str(made["late"].id) and latest["completed_at"] == "2026-01-06T15:00:00Z"
    assert len(body["cumulative_flow"]) == 7 * 5
    [aging] = body["aging_wip"]["points"]
    assert aging["task_id"] == str(made["waiting"].id) and aging["over_p85"] is True


def test_report_csv_header_and_round_trip(analytics, client, auth_headers, make_user):
    marker, agent, made = analytics
    headers = auth_headers(make_user(Role.MANAGER))
    rows = _report_csv(_report(client, headers, "sla", marker, format="csv"), "sla-by-priority")
    assert list(rows[0]) == ["priority", "target_minutes", "met", "breached", "compliance_pct"]
    assert [row["priority"] for row in rows] == ["Low", "Medium", "High", "Critical", "All"]
    assert rows[0]["compliance_pct"] == "" and rows[3]["met"] == "1" and rows[4]["compliance_pct"] == "33.3"
    watchlist = _report_csv(_report(client, headers, "sla", marker, format="csv", table="watchlist"), "sla-watchlist")
    # Quotes and commas in a title survive the round trip.
    assert [row["title"] for row in watchlist] == ['open, "late", still']
    workload_rows = _report_csv(_report(client, headers, "workload", marker, format="csv"), "workload-by-assignee")
    assert workload_rows[0]["assigned_to"] == str(agent.id) and workload_rows[0]["open"] == "1"
    moves = _report_csv(_report(client, headers, "status-flow", marker, format="csv"), "status-flow-transitions")
    assert list(moves[0]) == ["from_status", "to_status", "count", "median_hours_in_source"]
    points = _report_csv(_report(client, headers, "flow-metrics", marker, format="csv", table="cycle_lead"), "flow-metrics-cycle-lead")
    assert {row["task_id"] for row in points} == {str(made["met"].id), str(made["late"].id)}
    assert "2026-01-06T15:00:00Z" in {row["completed_at"] for row in points}


@pytest.mark.parametrize("name", ["sla", "workload", "status-flow", "flow-metrics"])
@pytest.mark.parametrize("query", [
    "date_from=yesterday", "date_from=2026-02-01&date_to=2026-01-01", "date_from=1900-01-01",
    "date_from=2000-01-01&date_to=2030-01-01", "assigned_to=someone", "priority=Urgent", "format=xml", "table=nothing",
])
def test_bad_filters_are_422(ctx, make_user, client, auth_headers, name, query):
    response = client.get(f"/api/reports/{name}?{query}", headers=auth_headers(make_user(Role.MANAGER)))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_failed"


@pytest.mark.parametrize("name", ["sla", "workload", "status-flow", "flow-metrics"])
def test_agents_may_not_read_analytics(ctx, make_user, client, auth_headers, name):
    for query in ("", "?format=csv"):
        response = client.get(f"/api/reports/{name}{query}", headers=auth_headers(make_user(Role.AGENT)))
        assert response.status_code == 403
        assert response.json["error"]["code"] == "forbidden"


def test_unassigned_filter_and_no_filters(analytics, client, auth_headers, make_user):
    marker, _agent, _made = analytics
    headers = auth_headers(make_user(Role.MANAGER))
    body = _report(client, headers, "workload", marker, assigned_to="none").json
    assert body["by_assignee"] == [] and body["unassigned"]["open"] == 0
    assert client.get("/api/reports/sla", headers=headers).status_code == 200


def test_sla_targets_read_by_everyone_set_by_admins(ctx, make_user, client, auth_headers):
    agent, admin = make_user(Role.AGENT), make_user(Role.ADMIN)
    assert client.get("/api/sla/targets", headers=auth_headers(agent)).json["Critical"] == 240
    assert client.put("/api/sla/targets", json={"Critical": 120}, headers=auth_headers(agent)).status_code == 403
    changed = client.put("/api/sla/targets", json={"Critical": 120, "Low": 600}, headers=auth_headers(admin))
    assert changed.status_code == 200
    assert changed.json == {"Low": 600, "Medium": 4320, "High": 1440, "Critical": 120, "business_hours": {
        "Low": False, "Medium": False, "High": False, "Critical": False}}
    assert client.get("/api/sla/targets", headers=auth_headers(agent)).json == changed.json
    for bad in ({"Critical": 0}, {"Critical": "soon"}, {"Urgent": 60}, {"High": 10**9}):
        response = client.put("/api/sla/targets", json=bad, headers=auth_headers(admin))
        assert response.status_code == 422, bad
        assert response.json["error"]["details"]


def test_reports_of_nothing_are_empty_not_errors(ctx, make_user, client, auth_headers):
    headers = auth_headers(make_user(Role.VIEWER))
    body = _report(client, headers, "flow-metrics", f"m{uuid4().hex[:10]}").json
    assert body["aging_wip"] == {"cycle_p85_hours": None, "points": []}
    assert body["cycle_lead"]["points"] == [] and body["cycle_lead"]["tasks"] == 0


def test_forecast_json(analytics, client, auth_headers, make_user):
    marker, _agent, _made = analytics
    headers = auth_headers(make_user(Role.VIEWER))
    today = datetime.now(timezone.utc).date()
    by = (today + timedelta(days=30)).isoformat()
    # The built history is in January 2026: two years of throughput reach it.
    response = client.get(f"/api/reports/forecast?{urlencode({'tag': marker, 'weeks': 104, 'by': by})}", headers=headers)
    assert response.status_code == 200, response.data[:500]
    body = response.json
    assert (body["backlog"], body["completed_in_history"], body["weeks"], body["trials"]) == (1, 2, 104, 10_000)
    assert body["history_to"] == (today - timedelta(days=1)).isoformat()
    assert body["history_from"] == (today - timedelta(weeks=104)).isoformat()
    assert sum(bar["trials"] for bar in body["histogram"]) + body["not_within_horizon"] == 10_000
    assert set(body["when"]) == {"p50", "p85", "p95"} and set(body["how_many"]) == {"date", "p50", "p85", "p95"}
    assert body["how_many"]["date"] == by and 0 <= body["how_many"]["p95"] <= body["how_many"]["p50"] <= 1 * 30


def test_forecast_of_a_case_counts_its_open_tasks(ctx, make_user, client, auth_headers):
    manager = make_user(Role.MANAGER)
    case = cases.create_case(actor=manager, title="Forecast case")
    for title in ("one", "two", "three"):
        tasks.create_task(actor=manager, title=title, priority=Priority.LOW, case_id=case.id)
    done = tasks.create_task(actor=manager, title="done", priority=Priority.LOW, case_id=case.id)
    for status in (TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED):
        tasks.change_status(actor=manager, task_id=done.id, status=status)
    body = client.get(f"/api/reports/forecast?case_id={case.id}", headers=auth_headers(manager)).json
    assert body["backlog"] == 3 and body["how_many"] is None
    missing = client.get(f"/api/reports/forecast?case_id={uuid4()}", headers=auth_headers(manager))
    assert missing.status_code == 404


@pytest.mark.parametrize("query", ["weeks=0", "weeks=105", "by=2020-01-01", "by=soon", "format=csv", "case_id=x"])
def test_bad_forecast_queries_are_422(ctx, make_user, client, auth_headers, query):
    response = client.get(f"/api/reports/forecast?{query}", headers=auth_headers(make_user(Role.MANAGER)))
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "validation_failed"


def test_agents_may_not_read_a_forecast(ctx, make_user, client, auth_headers):
    assert client.get("/api/reports/forecast", headers=auth_headers(make_user(Role.AGENT))).status_code == 403
