"""Benchmark GET /api/tasks (status filter, -due_date sort; page 1 and page 10,000) against the reference.

Both apps run under gunicorn with the same workers on the same PostgreSQL database; wrk drives
each for the same time. Usage (the database must hold the demo data, e.g. 1,000,000 tasks):

    DATABASE_URL=postgresql+psycopg2://postgres@127.0.0.1:5432/wm_bench \\
        .venv/bin/python bench/list_tasks.py --duration 15 --connections 8 --workers 2
"""
import argparse
import json
import os
import re
import secrets
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import databases, servers  # noqa: E402
from db.pagination import encode_cursor  # noqa: E402

STATUS = "Completed"
DEEP_PAGE = 10_000
LIMIT = 50


def deep_position(url: str) -> tuple[str, str]:
    """(due_date ISO, id) of the last row before page DEEP_PAGE."""
    with databases.connect(url).cursor() as cursor:
        cursor.execute(
            "SELECT due_date, id FROM tasks WHERE deleted_at IS NULL AND status = %s AND due_date IS NOT NULL "
            "ORDER BY due_date DESC, id DESC OFFSET %s LIMIT 1",
            (STATUS, (DEEP_PAGE - 1) * LIMIT - 1),
        )
        row = cursor.fetchone()
    if row is None:
        raise SystemExit(f"fewer than {(DEEP_PAGE - 1) * LIMIT} '{STATUS}' tasks: generate more demo data")
    return row[0].isoformat(), str(row[1])


def login(port: int) -> str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/auth/login",
        data=json.dumps({"username": "manager", "password": "demo-password"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    return json.load(urllib.request.urlopen(request))["access_token"]


def wrk(url: str, duration: int, connections: int, headers: dict) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = re.search(r"50%\s+([\d.]+\w+)", output).group(1)
    p99 = re.search(r"99%\s+([\d.]+\w+)", output).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"rps": rps, "p50": p50, "p99": p99, "non_2xx": int(errors.group(1)) if errors else 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    with databases.connect(url).cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tasks")
        total = cursor.fetchone()[0]
    due, row_id = deep_position(url)
    deep_cursor = encode_cursor("-due_date", 0, due, row_id)
    env = {"SECRET_KEY": secrets.token_urlsafe(48), "PYTHONPATH": str(ROOT)}
    (api, api_port), (reference, reference_port) = servers.app_and_reference(env, args.workers)
    try:
        token = login(api_port)
        auth = {"Authorization": f"Bearer {token}"}
        query = f"status={STATUS}&sort=-due_date&limit={LIMIT}"
        api_base, reference_base = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{reference_port}"
        cases = {
            "api page 1": (f"{api_base}/api/tasks?{query}", auth),
            f"api page {DEEP_PAGE}": (f"{api_base}/api/tasks?{query}&cursor={deep_cursor}", auth),
            "reference page 1": (f"{reference_base}/?status={STATUS}&limit={LIMIT}", {}),
            f"reference page {DEEP_PAGE}": (
                f"{reference_base}/?status={STATUS}&limit={LIMIT}&after={urllib.parse.quote(due + '|' + row_id)}",
                {},
            ),
        }
        for target, headers in cases.values():  # warm both apps' pools and caches
            wrk(target, 2, args.connections, headers)
        results = {name: wrk(target, args.duration, args.connections, headers) for name, (target, headers) in cases.items()}
    finally:
        servers.stop(api)
        servers.stop(reference)
    summary = {
        "tasks": total,
        "workers": args.workers,
        "connections": args.connections,
        "duration_s": args.duration,
        "results": results,
        "api_vs_reference_page_1": results["api page 1"]["rps"] / results["reference page 1"]["rps"],
        f"api_vs_reference_page_{DEEP_PAGE}": results[f"api page {DEEP_PAGE}"]["rps"] / results[f"reference page {DEEP_PAGE}"]["rps"],
        f"api_page_{DEEP_PAGE}_vs_page_1": results[f"api page {DEEP_PAGE}"]["rps"] / results["api page 1"]["rps"],
    }
    out = ROOT / "bench/results"
    out.mkdir(exist_ok=True)
    (out / "list_tasks.json").write_text(json.dumps(summary, indent=2))
    print("| case | req/s | p50 | p99 | non-2xx |\n|---|---|---|---|---|")
    for name, result in results.items():
        print(f"| {name} | {result['rps']:.0f} | {result['p50']} | {result['p99']} | {result['non_2xx']} |")
    for key, value in summary.items():
        if key.startswith("api_"):
            print(f"{key}: {value:.2f}")


if __name__ == "__main__":
    main()
