"""Benchmark the analytics: each report function against the same SQL run directly, and the whole page.

For every analytics function the portal uses (the analytics page's SLA and flow figures, the
workload page's), with the page's default filters and with a filter (one priority; a 90-day
date range), the function is timed in-process inside an app context (median of `--runs`). The
statements it sends are captured with a `before_cursor_execute` listener, rendered with their
parameters by psycopg2's `cursor.mogrify`, and run as they are on a bare psycopg2 connection
(autocommit, every row fetched): the reference, "the same hand-written SQL run directly". The
ratio is function / reference.

The whole page is timed in Chromium (Playwright) signed in as `manager`: from navigation to
/analytics until every figure, the KPI and the watchlist are rendered, under gunicorn; once with
every figure computed on each load (REPORTS_CACHE_SECONDS=0) and once with the report cache on
Redis, where the first (untimed) load computes and the timed ones share its results.

    DATABASE_URL=postgresql+psycopg2://postgres@127.0.0.1:5432/wm_bench \\
        .venv/bin/python bench/analytics.py --runs 5 --page-runs 5

Writes bench/results/analytics.json and prints the tables for bench/README.md.
"""
import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import psycopg2
from sqlalchemy import event
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
#: The page's graphs; the page is rendered when each holds a drawn figure.
GRAPHS = ["analytics-sla-priority", "analytics-sla-week", "analytics-sankey", "analytics-cycle",
          "analytics-throughput", "analytics-cfd", "analytics-aging"]
RENDERED = """(graphs) => {
  if (!document.getElementById('analytics-kpi-value')) return false;
  const watchlist = document.getElementById('analytics-watchlist');
  if (!watchlist || !watchlist.firstChild) return false;
  return graphs.every((id) => {
    const graph = document.getElementById(id);
    const plot = graph && graph.querySelector('.js-plotly-plot');
    return plot && plot._fullLayout && plot.data && (plot.data.length > 0
      || (plot.layout.annotations || []).length > 0);
  });
}"""


def cases(filters: dict):
    """(name, filters label, callable) for every function the analytics and workload pages call."""
    from reports import flow, sla, workload

    functions = [
        ("sla.compliance", sla.compliance),
        ("sla.compliance_by_priority", sla.compliance_by_priority),
        ("sla.compliance_by_week", sla.compliance_by_week),
        ("sla.watchlist", sla.watchlist),
        ("workload.open_by_assignee", workload.open_by_assignee),
        ("workload.open_by_department", workload.open_by_department),
        ("workload.unassigned_queue", workload.unassigned_queue),
        ("flow.transitions", flow.transitions),
        ("flow.time_in_status", flow.time_in_status),
        ("flow.cycle_and_lead_times", flow.cycle_and_lead_times),
        ("flow.weekly_throughput", flow.weekly_throughput),
        ("flow.cumulative_flow", flow.cumulative_flow),
        ("flow.aging_wip", flow.aging_wip),
    ]
    result = []
    for label, chosen in filters.items():
        for name, function in functions:
            result.append((name, label, lambda function=function, chosen=chosen: function(filters=chosen)))
    return result


def capture(engine, call) -> list[str]:
    """The statements `call` sends, rendered with their parameters as psycopg2 sends them."""
    statements = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(cursor.mogrify(statement, parameters).decode())

    event.listen(engine, "before_cursor_execute", listener)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return statements


def median_time(call, runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


def connect(url: str):
    parsed = make_url(url)
    connection = psycopg2.connect(host=parsed.host, port=parsed.port or 5432, user=parsed.username,
                                  password=parsed.password, dbname=parsed.database)
    connection.autocommit = True
    return connection


def run_reference(connection, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
            if cursor.description is not None:
                cursor.fetchall()


def measure_functions(url: str, runs: int, only: str | None, days: int | None) -> list[dict]:
    """Median time of each function and of its SQL run directly, same filters, interleaved."""
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))
    from app import create_app
    from db import session
    from db.models import Priority
    from db.types import utcnow
    from domain.filters import TaskFilters

    app = create_app({"DATABASE_URL": url})
    reference = connect(url)
    rows = []
    with app.app_context():
        engine = session().get_bind()
        today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
        chosen = {"default (none)": TaskFilters(), "priority=High": TaskFilters(priority=Priority.HIGH)}
        if days:
            chosen[f"last {days} days"] = TaskFilters(date_from=today - timedelta(days=days - 1),
                                                        date_to=today + timedelta(days=1))
        for name, label, call in cases(chosen):
            if only and only not in name:
                continue
            statements = capture(engine, call)  # also the warm-up run
            session.remove()
            function_s, function_runs = median_time(lambda: (call(), session.remove()), runs)
            reference_s, reference_runs = median_time(lambda: run_reference(reference, statements), runs)
            rows.append({
                "function": name, "filters": label, "statements": len(statements),
                "function_s": function_s, "reference_s": reference_s, "ratio": function_s / reference_s,
                "function_runs": [round(t, 4) for t in function_runs],
                "reference_runs": [round(t, 4) for t in reference_runs],
            })
            print(f"{name:30} {label:14} {function_s * 1000:9.1f} ms {reference_s * 1000:9.1f} ms "
                  f"{function_s / reference_s:5.2f}", flush=True)
    reference.close()
    return rows


def serve(url: str, port: int, settings: dict) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(48), **settings}
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--no-control-socket", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--threads", "4", "--timeout", "120", "--log-level", "warning", "app:create_app()"],
        cwd=ROOT, env=env,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    process.kill()
    raise SystemExit("server did not start")


#: The page computed on every load, and shared through the report cache on Redis.
PAGE_SETTINGS = {
    "computed": {"REPORTS_CACHE_SECONDS": "0"},
    "shared": {"REPORTS_CACHE_SECONDS": "300", "REDIS_URL": "redis://127.0.0.1:6379/14", "EXPORT_RUNNER": "thread"},
}


def measure_page(url: str, runs: int, settings: dict, port: int = 8073) -> dict:
    """Median time from navigation to every figure of /analytics rendered, for the manager."""
    from playwright.sync_api import sync_playwright

    if "REDIS_URL" in settings:
        import redis

        redis.Redis.from_url(settings["REDIS_URL"]).flushdb()
    server = serve(url, port, settings)
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            page = context.new_page()
            page.goto(f"{base}/login")
            page.fill("#username", "manager")
            page.fill("#password", "demo-password")
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
            times = []
            for run in range(runs + 1):
                page.goto(f"{base}/tasks")  # away, so each run navigates to the page afresh
                page.wait_for_load_state("networkidle")
                started = time.perf_counter()
                page.goto(f"{base}/analytics")
                page.wait_for_function(RENDERED, arg=GRAPHS, timeout=300_000, polling=20)
                if run:  # the first run warms both workers' connections (and fills the report cache)
                    times.append(time.perf_counter() - started)
            browser.close()
    finally:
        server.terminate()
        server.wait()
    return {"median_s": statistics.median(times), "runs": [round(t, 3) for t in times]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each function and reference")
    parser.add_argument("--page-runs", type=int, default=5, help="timed loads of the page (0: skip)")
    parser.add_argument("--only", help="only the functions whose name contains this")
    parser.add_argument("--days", type=int, help="also with a date range of the last DAYS days")
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    rows = measure_functions(url, args.runs, args.only, args.days)
    summary = {"runs": args.runs, "functions": rows}
    for label in dict.fromkeys(row["filters"] for row in rows):
        group = [row for row in rows if row["filters"] == label]
        function_s = sum(row["function_s"] for row in group)
        reference_s = sum(row["reference_s"] for row in group)
        summary.setdefault("sums", {})[label] = {"function_s": function_s, "reference_s": reference_s,
                                                 "ratio": function_s / reference_s}
    if args.page_runs:
        summary["page"] = {name: measure_page(url, args.page_runs, settings) for name, settings in PAGE_SETTINGS.items()}
    out = ROOT / "bench/results"
    out.mkdir(exist_ok=True)
    (out / "analytics.json").write_text(json.dumps(summary, indent=2))
    print("\n| function | filters | statements | function | reference (psycopg2) | ratio |\n|---|---|---|---|---|---|")
    for row in rows:
        print(f"| `{row['function']}` | {row['filters']} | {row['statements']} | {row['function_s'] * 1000:.0f} ms "
              f"| {row['reference_s'] * 1000:.0f} ms | {row['ratio']:.2f} |")
    for label, total in summary.get("sums", {}).items():
        print(f"| **sum** | {label} | | {total['function_s'] * 1000:.0f} ms | {total['reference_s'] * 1000:.0f} ms "
              f"| {total['ratio']:.2f} |")
    for name, page in summary.get("page", {}).items():
        print(f"\nwhole page ({name}): median {page['median_s']:.3f} s, runs {page['runs']}")


if __name__ == "__main__":
    main()
