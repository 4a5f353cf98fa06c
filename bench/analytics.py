"""Benchmark the analytics against what PostgreSQL needs just to count the history once.

The reference is `SELECT count(*) FROM task_history`, run on a bare psycopg2 connection in the
same run (median of `--runs`, measured before and after the figures; the larger is used): it
does not depend on the code under test. Every figure of the analytics and workload pages and
every `/api/reports/*` call is timed in-process (median of `--runs` after one untimed run, no
report cache: each call computes), unfiltered and with each filter the facts keep (a priority, a
department, an assignee, the last 30 and 90 days), and once with a tag (not kept in the facts:
computed from the history, shown for what it costs). The target is a time of at most half the
reference for each; the analytics page's server work, the sum of the figures it draws, at most
one second.

    DATABASE_URL=postgresql+psycopg2://postgres@127.0.0.1:5432/wm_bench \\
        .venv/bin/python bench/analytics.py --runs 5 --out bench/results/analytics-1m.json
    # the same on 5 M tasks, then compare:
    .venv/bin/python bench/analytics.py --compare bench/results/analytics-1m.json bench/results/analytics-5m.json
"""
import argparse
import json
import os
import secrets
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import databases  # noqa: E402

#: The figures the analytics page draws, its KPI row and every tab's (its server work is their sum).
PAGE = ["kpis.kpis", "sla.compliance_by_priority", "sla.compliance_by_week", "sla.watchlist", "flow.transitions",
        "flow.transition_matrix", "flow.time_in_status", "flow.rework", "flow.cycle_and_lead_times",
        "flow.weekly_throughput", "flow.cumulative_flow", "flow.aging_wip", "forecast.forecast"]
TARGET_RATIO = 0.5
PAGE_TARGET_S = 1.0


def figures():
    """(name, function) of every figure of the analytics and workload pages."""
    from reports import flow, forecast, kpis, sla, workload

    return [
        ("kpis.kpis", kpis.kpis),
        ("sla.compliance", sla.compliance), ("sla.compliance_by_priority", sla.compliance_by_priority),
        ("sla.compliance_by_week", sla.compliance_by_week), ("sla.compliance_by_assignee", sla.compliance_by_assignee),
        ("sla.compliance_by_department", sla.compliance_by_department), ("sla.watchlist", sla.watchlist),
        ("flow.transitions", flow.transitions), ("flow.transition_matrix", flow.transition_matrix),
        ("flow.time_in_status", flow.time_in_status), ("flow.rework", flow.rework),
        ("flow.cycle_and_lead_times", flow.cycle_and_lead_times), ("flow.weekly_throughput", flow.weekly_throughput),
        ("flow.cumulative_flow", flow.cumulative_flow), ("flow.aging_wip", flow.aging_wip),
        ("workload.open_by_assignee", workload.open_by_assignee),
        ("workload.open_by_department", workload.open_by_department),
        ("workload.unassigned_queue", workload.unassigned_queue),
        ("forecast.forecast", forecast.forecast),
    ]


def median_time(call, runs: int) -> float:
    call()  # untimed: plans cached, pages in the buffers, as for the reference
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def count_history(url: str, runs: int) -> float:
    connection = databases.connect(url)
    with connection.cursor() as cursor:
        seconds = median_time(lambda: (cursor.execute("SELECT count(*) FROM task_history"), cursor.fetchall()), runs)
    connection.close()
    return seconds


def filter_sets(session):
    """(label, TaskFilters, kept in the facts) for each filter the benchmark tries."""
    from sqlalchemy import func, select

    from db.models import Priority, Role, Task, User
    from db.types import utcnow
    from domain.filters import TaskFilters

    department = session.execute(select(User.department, func.count()).where(User.department.is_not(None))
                                 .group_by(User.department).order_by(func.count().desc())).first()[0]
    busiest = session.execute(select(Task.assigned_to, func.count()).join(User, User.id == Task.assigned_to)
                              .where(User.role == Role.AGENT).group_by(Task.assigned_to)
                              .order_by(func.count().desc()).limit(1)).first()[0]
    tag = session.execute(select(func.unnest(Task.tags)).limit(1)).scalar()
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    return [
        ("none", TaskFilters(), True),
        ("priority=High", TaskFilters(priority=Priority.HIGH), True),
        (f"department={department}", TaskFilters(department=department), True),
        ("assigned_to=busiest agent", TaskFilters(assigned_to=busiest), True),
        ("last 30 days", TaskFilters(date_from=today - timedelta(days=29), date_to=today + timedelta(days=1)), True),
        ("last 90 days", TaskFilters(date_from=today - timedelta(days=89), date_to=today + timedelta(days=1)), True),
        (f"tag={tag}", TaskFilters(tag=tag), False),
    ]


def api_query(filters) -> str:
    from urllib.parse import urlencode

    fields = {"priority": filters.priority, "department": filters.department, "assigned_to": filters.assigned_to,
              "tag": filters.tag,
              "date_from": filters.date_from and filters.date_from.isoformat().replace("+00:00", "Z"),
              "date_to": filters.date_to and filters.date_to.isoformat().replace("+00:00", "Z")}
    return urlencode({key: getattr(value, "value", value) for key, value in fields.items() if value is not None})


def measure(url: str, runs: int, only: str | None) -> dict:
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))
    from app import create_app
    from db import session
    from db.models import User
    from auth.tokens import issue_token

    app = create_app({"DATABASE_URL": url, "REPORTS_CACHE_SECONDS": 0})
    count_before = count_history(url, runs)
    rows = []
    with app.app_context():
        chosen = filter_sets(session)
        manager = session.query(User).filter_by(username="manager").one()
        token, _lifetime = issue_token(manager.id, manager.credential_version)
        session.remove()
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        cases = [(name, lambda function=function, f=None: function(filters=f)) for name, function in figures()]
        for report in ("sla", "workload", "status-flow", "flow-metrics", "forecast"):
            def call(report=report, f=None):
                answer = client.get(f"/api/reports/{report}?{api_query(f)}", headers=headers)
                assert answer.status_code == 200, (report, answer.status_code, answer.get_data(as_text=True)[:300])
            cases.append((f"GET /api/reports/{report}", call))
        for label, filters, kept in chosen:
            for name, call in cases:
                if only and only not in name:
                    continue
                seconds = median_time(lambda: (call(f=filters), session.remove()), runs)
                rows.append({"figure": name, "filters": label, "kept": kept, "seconds": seconds})
                print(f"{name:34} {label:28} {seconds * 1000:9.1f} ms", flush=True)
    count_after = count_history(url, runs)
    reference = max(count_before, count_after)
    for row in rows:
        row["ratio"] = row["seconds"] / reference
    pages = {}
    for label in dict.fromkeys(row["filters"] for row in rows):
        pages[label] = sum(row["seconds"] for row in rows if row["filters"] == label and row["figure"] in PAGE)
    with app.app_context():
        tasks = session.execute(text("SELECT count(*) FROM tasks")).scalar()
        history = session.execute(text("SELECT count(*) FROM task_history")).scalar()
    return {"tasks": tasks, "history_rows": history, "runs": runs, "count_history_s": [count_before, count_after],
            "reference_s": reference, "figures": rows, "page_s": pages}


def report(result: dict) -> None:
    print(f"\n{result['tasks']:,} tasks, {result['history_rows']:,} history rows; "
          f"reference count(*) of the history: {result['reference_s'] * 1000:.0f} ms\n")
    print("| figure | filters | time | / count | target ≤ 0.5 |\n|---|---|---|---|---|")
    for row in result["figures"]:
        verdict = ("met" if row["ratio"] <= TARGET_RATIO else "**not met**") if row["kept"] else "(from the history)"
        print(f"| `{row['figure']}` | {row['filters']} | {row['seconds'] * 1000:.1f} ms | {row['ratio']:.3f} | {verdict} |")
    print("\n| the analytics page's server work | filters | time | target ≤ 1 s |\n|---|---|---|---|")
    for label, seconds in result["page_s"].items():
        print(f"| sum of its figures | {label} | {seconds:.3f} s | {'met' if seconds <= PAGE_TARGET_S else '**not met**'} |")


def compare(small: dict, large: dict) -> None:
    print(f"\n| figure | filters | {small['tasks']:,} tasks | {large['tasks']:,} tasks | ratio | target ≤ 1.3 |")
    print("|---|---|---|---|---|---|")
    before = {(row["figure"], row["filters"]): row for row in small["figures"]}
    for row in large["figures"]:
        first = before.get((row["figure"], row["filters"]))
        if first is None or not row["kept"]:
            continue
        ratio = row["seconds"] / first["seconds"]
        print(f"| `{row['figure']}` | {row['filters']} | {first['seconds'] * 1000:.1f} ms | {row['seconds'] * 1000:.1f} ms "
              f"| {ratio:.2f} | {'met' if ratio <= 1.3 else '**not met**'} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", help="only the figures whose name contains this")
    parser.add_argument("--out", default=str(ROOT / "bench/results/analytics.json"))
    parser.add_argument("--compare", nargs=2, metavar=("SMALL_JSON", "LARGE_JSON"))
    args = parser.parse_args()
    if args.compare:
        small, large = (json.loads(Path(path).read_text()) for path in args.compare)
        compare(small, large)
        return
    result = measure(os.environ["DATABASE_URL"], args.runs, args.only)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2, default=str))
    report(result)


if __name__ == "__main__":
    main()
