"""Benchmark saving the business-hours calendar: the request, then the background job it starts.

On the database at DATABASE_URL (the demo data, e.g. 1,000,000 tasks), as the demo admin, in
process: `PUT /api/sla/calendar` moves the working day an hour earlier, then the analytics job
(`workflow.analytics.rebuild_if_stale`, what the scheduled duty runs) re-derives the working-time
columns and rebuilds the facts; then the original calendar is saved back and the job runs again,
so the database is left as it was. Each job run is timed in its two parts (re-derivation and
facts), and against the reference, `SELECT count(*) FROM task_history` on a bare psycopg2
connection in the same run (what PostgreSQL needs to count the history once).

    DATABASE_URL=postgresql+psycopg2://postgres@127.0.0.1:5432/wm_bench .venv/bin/python bench/calendar_save.py
"""
import json
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import databases  # noqa: E402

RESULTS = ROOT / "bench/results"
#: The job's target on 1 M tasks (the issue's): under a minute.
TARGET_S = 60.0


def reference_s(url: str, runs: int = 3) -> float:
    with databases.connect(url).cursor() as cursor:
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            cursor.execute("SELECT count(*) FROM task_history")
            cursor.fetchall()
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def earlier_by_an_hour(hours: dict) -> dict:
    """The week's hours, each working day starting and ending an hour earlier."""
    def shift(clock: str) -> str:
        hour, minute = clock.split(":")
        return f"{int(hour) - 1:02d}:{minute}"
    return {day: None if span is None else {"start": shift(span["start"]), "end": shift(span["end"])}
            for day, span in hours.items()}


def save_and_run_job(app, client, headers: dict, calendar: dict) -> dict:
    from db import session
    from workflow import analytics

    started = time.perf_counter()
    response = client.put("/api/sla/calendar", json=calendar, headers=headers)
    request_s = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"saving the calendar answered {response.status_code}: {response.get_data(as_text=True)}")
    phases = {}
    original = analytics._rederive_working_time

    def timed_rederive(*args):
        began = time.perf_counter()
        original(*args)
        phases["rederive_s"] = time.perf_counter() - began

    analytics._rederive_working_time = timed_rederive
    try:
        with app.app_context():
            began = time.perf_counter()
            rows = analytics.rebuild_if_stale()
            job_s = time.perf_counter() - began
            session.remove()
    finally:
        analytics._rederive_working_time = original
    if rows is None:
        raise SystemExit("the job found nothing to do: the save did not mark the facts stale")
    return {"request_s": request_s, "job_s": job_s, "rederive_s": phases["rederive_s"],
            "facts_s": job_s - phases["rederive_s"], "fact_rows": rows}


def main() -> None:
    url = os.environ["DATABASE_URL"]
    os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))
    from app import create_app

    app = create_app()
    client = app.test_client()
    login = client.post("/api/auth/login", json={"username": "admin", "password": "demo-password"})
    headers = {"Authorization": f"Bearer {login.get_json()['access_token']}"}
    before = client.get("/api/sla/calendar", headers=headers).get_json()
    changed = {"hours": earlier_by_an_hour(before["hours"])}
    restored = {"hours": before["hours"]}
    reference = reference_s(url)
    runs = {"changed": save_and_run_job(app, client, headers, changed),
            "restored": save_and_run_job(app, client, headers, restored)}
    reference = max(reference, reference_s(url))
    with app.app_context():
        from sqlalchemy import text

        from db import session
        tasks = session.execute(text("SELECT count(*) FROM tasks")).scalar()
    result = {"tasks": tasks, "reference_s": reference, "runs": runs}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "calendar_save.json").write_text(json.dumps(result, indent=2))
    print(f"{tasks:,} tasks; reference count(*) of the history: {reference * 1000:.0f} ms\n")
    print("| run | request | re-derivation | facts rebuild | job | job / reference | target (< 60 s) |")
    print("|---|---|---|---|---|---|---|")
    for name, run in runs.items():
        met = "met" if run["job_s"] < TARGET_S else "NOT met"
        print(f"| {name} | {run['request_s'] * 1000:.0f} ms | {run['rederive_s']:.1f} s | {run['facts_s']:.1f} s "
              f"| {run['job_s']:.1f} s | {run['job_s'] / reference:.0f} | {met} |")


if __name__ == "__main__":
    main()
