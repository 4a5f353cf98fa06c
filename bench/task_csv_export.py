"""Benchmark the streamed CSV export of the task list against PostgreSQL's bare COPY of the same rows.

The export is `GET /api/reports/tasks?format=csv` through the whole Flask app (auth, query
parsing, the COPY thread, the bounded queue, the response iterator), read to the end in this
process. The reference runs `COPY (same SELECT) TO STDOUT WITH (FORMAT csv)` on a plain psycopg2
connection into a sink that only counts bytes. Peak Python memory of the export is measured
separately with tracemalloc for a smaller and the whole selection. Usage:

    DATABASE_URL=postgresql+psycopg2://postgres@127.0.0.1:5432/wm_bench \\
        .venv/bin/python bench/task_csv_export.py --runs 3
"""
import argparse
import json
import os
import secrets
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))

from app import create_app  # noqa: E402
from auth.tokens import issue_token  # noqa: E402
from bench import databases  # noqa: E402
from config import Config  # noqa: E402
from db import session  # noqa: E402
from db.models import Priority, Role, Task, User  # noqa: E402
from domain.filters import TaskFilters  # noqa: E402
from reports.csv_stream import _plain  # noqa: E402
from reports.task_csv import export_statement  # noqa: E402

#: (name, query string, the same filters) — a tenth-sized selection and every task.
SELECTIONS = [
    ("critical", "priority=Critical", TaskFilters(priority=Priority.CRITICAL)),
    ("all", "", TaskFilters()),
]


class Counter:
    """A COPY sink that keeps nothing."""

    def __init__(self):
        self.bytes = 0

    def write(self, data):
        self.bytes += len(data)


def reference_copy(url: str, sql: str) -> tuple[float, int]:
    connection = databases.connect(url)
    sink = Counter()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)", sink)
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed, sink.bytes


def export(client, headers, query: str) -> tuple[float, int]:
    started = time.perf_counter()
    response = client.get(f"/api/reports/tasks?format=csv&sort=created_at&{query}", headers=headers, buffered=False)
    assert response.status_code == 200, response.status_code
    size = sum(len(chunk) for chunk in response.response)
    response.close()
    return time.perf_counter() - started, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    app = create_app(Config)
    client = app.test_client()
    results = {}
    with app.app_context():
        manager = session.scalars(select(User).where(User.role == Role.MANAGER, User.is_active)).first()
        with app.test_request_context():
            headers = {"Authorization": f"Bearer {issue_token(manager.id, manager.credential_version)[0]}"}
        for name, query, filters in SELECTIONS:
            dialect = session.get_bind().dialect
            compiled = export_statement(filters, "postgresql").order_by(Task.created_at, Task.id).compile(dialect=dialect)
            raw = session.connection().connection.dbapi_connection
            with raw.cursor() as cursor:
                sql = cursor.mogrify(str(compiled), {k: _plain(v) for k, v in compiled.params.items()}).decode()
            session.rollback()
            rows = None
            timings, references = [], []
            for _ in range(args.runs):
                elapsed, size = export(client, headers, query)
                timings.append(elapsed)
                ref_elapsed, ref_size = reference_copy(url, sql)
                references.append(ref_elapsed)
            with app.app_context():
                from workflow.tasks import status_counts
                rows = sum(status_counts(filters=filters).values())
            tracemalloc.start()
            export(client, headers, query)
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            export_s, reference_s = statistics.median(timings), statistics.median(references)
            results[name] = {
                "rows": rows,
                "bytes": size,
                "reference_bytes": ref_size,
                "export_s": round(export_s, 3),
                "reference_copy_s": round(reference_s, 3),
                "export_rows_per_s": round(rows / export_s),
                "reference_rows_per_s": round(rows / reference_s),
                "ratio_of_copy_speed": round(reference_s / export_s, 3),
                "export_peak_python_mb": round(peak / 2**20, 2),
            }
            print(name, json.dumps(results[name]), flush=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
