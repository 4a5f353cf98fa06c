"""Benchmark the portal in Chromium: time to a usable board and table, largest Dash response.

The same pages are timed against a database holding the demo data at scale and against an
almost empty one (the reference: the demo users and 10 tasks), both served by gunicorn.

    BIG_DATABASE_URL=postgresql+psycopg2://postgres@127.0.0.1:5432/wm_bench \\
    EMPTY_DATABASE_URL=postgresql+psycopg2://postgres@127.0.0.1:5432/wm_empty \\
        .venv/bin/python bench/portal_pages.py --runs 5

The reference database is made (migrated, demo users, 10 tasks) if it does not exist.
"""
import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import databases, servers  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
#: page -> the selector that means "usable": cards on the board, rows in the grid.
PAGES = {"board": ("/board?scope=all", ".board-card"), "table": ("/tasks", ".ag-row")}
#: The reference database: migrated, the demo users and this many tasks (the pages need a row to show).
REFERENCE_TASKS = 10


def ensure_empty_database(url: str) -> None:
    """Create, migrate and fill with the demo users and REFERENCE_TASKS tasks, if missing."""
    parsed = make_url(url)
    admin_url = parsed.set(database="postgres").render_as_string(hide_password=False)
    admin = databases.connect(admin_url)
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,))
        exists = cursor.fetchone() is not None
    admin.close()
    if not exists:
        databases.create_database(admin_url, parsed.database)
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(48)}
        flask = str(ROOT / ".venv/bin/flask")
        subprocess.run([flask, "--app", "app", "db", "upgrade"], cwd=ROOT, env=env, check=True)
        subprocess.run(
            [flask, "--app", "app", "demo", "--tasks", str(REFERENCE_TASKS), "--force"], cwd=ROOT, env=env, check=True
        )


def serve(url: str, port: int) -> subprocess.Popen:
    """The portal on `url`'s database under gunicorn (2 workers x 4 threads), on `port` (checked to be ours)."""
    env = {"DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(48)}
    return servers.gunicorn("app:create_app()", port, env, workers=2, threads=4)


def measure(browser, base: str, runs: int) -> dict:
    """Median time from navigation to usable per page, and the largest Dash response seen."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("#username", "manager")
    page.fill("#password", "demo-password")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    largest = {"bytes": 0}

    def record(response):
        # Data only: the layout and callback answers (component bundles are static and cached).
        if "/_dash-update-component" in response.url or "/_dash-layout" in response.url:
            try:
                size = len(response.body())
            except Exception:  # Playwright's Error: the page moved on before the body was read
                return
            if size > largest["bytes"]:
                largest.update(bytes=size, url=response.url.split("?")[0])

    page.on("response", record)
    results = {}
    for name, (path, selector) in PAGES.items():
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            page.goto(f"{base}{path}")
            page.wait_for_selector(selector, timeout=60_000)
            times.append(time.perf_counter() - started)
        results[name] = {"median_s": statistics.median(times), "runs": [round(t, 3) for t in times]}
    results["cell_edit"] = _edit_round_trips(page, base, runs)
    page.wait_for_timeout(500)
    results["largest_dash_response"] = dict(largest)
    context.close()
    return results


def _edit_round_trips(page, base: str, runs: int) -> dict:
    """Median time from choosing a new priority in the first row to the server's "Saved" answer."""
    page.goto(f"{base}/tasks")
    page.wait_for_selector(".ag-row[row-index='0']")
    times = []
    for run in range(runs):
        cell = page.locator(".ag-row[row-index='0'] [col-id=priority]")
        target = "High" if cell.inner_text() != "High" else "Low"
        cell.dblclick()
        page.locator(".ag-cell-inline-editing .ag-picker-field-wrapper, .ag-popup-editor .ag-picker-field-wrapper").first.click()
        started = time.perf_counter()
        page.locator(".ag-list-item", has_text=target).click()
        page.wait_for_selector("text=Saved priority", timeout=30_000)
        times.append(time.perf_counter() - started)
        page.locator("#tasks-edit-result .btn-close").click()
        page.wait_for_timeout(300)
    return {"median_s": statistics.median(times), "runs": [round(t, 3) for t in times]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    big, empty = os.environ["BIG_DATABASE_URL"], os.environ["EMPTY_DATABASE_URL"]
    ensure_empty_database(empty)
    from playwright.sync_api import sync_playwright

    summary = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for label, url in (("empty", empty), ("big", big)):
            port = servers.free_port()
            server = serve(url, port)
            try:
                summary[label] = measure(browser, f"http://127.0.0.1:{port}", args.runs)
            finally:
                servers.stop(server)
        browser.close()
    for name in PAGES:
        summary[f"{name}_big_vs_empty"] = summary["big"][name]["median_s"] / summary["empty"][name]["median_s"]
    summary["cell_edit_big_vs_empty"] = summary["big"]["cell_edit"]["median_s"] / summary["empty"]["cell_edit"]["median_s"]
    out = ROOT / "bench/results"
    out.mkdir(exist_ok=True)
    (out / "portal_pages.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
