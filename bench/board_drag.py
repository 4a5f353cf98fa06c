"""Benchmark the board's drag and drop against its "Move to…" menu, in Chromium, in the same run.

A move's round trip is timed in the page, from the drop (pointer up) or the menu pick (change) to the moment
the card stands in its new column as the server drew it (no waiting copy left): the server callback has
committed the move and the board has been redrawn. Both ways reach the same server callback; the drag adds
SortableJS and assets/board.js's hand-over. Runs alternate (drag, menu, drag, menu, ...) on the same board,
after warm-up moves; each moved task's status is then read back through the API (not timed) and the task
completed there, so every move redraws a board of the same size.

The script makes its own database (SQLite in a temporary folder, or with `--postgres` a fresh PostgreSQL
database it drops after), migrates it, loads the demo data (`flask demo --tasks N`), creates the cards to
move through the API (tagged, so the board shows them: `/board?tag=...`) and serves the portal under gunicorn
(2 workers x 4 threads) on a free port checked to be its own. The browser runs under the portal's own CSP.

    .venv/bin/python bench/board_drag.py --runs 30            # SQLite
    .venv/bin/python bench/board_drag.py --runs 30 --postgres # PostgreSQL at BENCH_POSTGRES_URL

Results go to bench/results/board_drag.json (one entry per database backend).
"""
import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import databases, servers  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
WARMUPS = 2
#: In every page: the moment of each drop or menu pick, and of each card seen settled in its new column.
TIMER_SCRIPT = """
(() => {
  window.__moves = {start: null, drawn: null, shown: null, task: null, target: null};
  const settled = () => {
    const m = window.__moves;
    if (m.start === null || m.shown !== null) return;
    const card = document.querySelector(`#board section[data-status='${m.target}'] .board-card[data-task-id='${m.task}']`);
    if (card && !card.classList.contains('board-card-pending')) {
      if (m.drawn === null) m.drawn = performance.now();  // the server's board is in (a copy may still wait)
      if (!document.querySelector('.board-card-pending')) m.shown = performance.now();
    }
  };
  document.addEventListener('pointerup', () => { if (window.__moves.start === null) window.__moves.start = performance.now(); }, true);
  document.addEventListener('change', (event) => {
    if (event.target.matches("select[id*='board-move']") && window.__moves.start === null) window.__moves.start = performance.now();
  }, true);
  new MutationObserver(settled).observe(document, {childList: true, subtree: true, attributes: true, attributeFilter: ['class']});
})();
"""


def flask(env: dict, *args: str) -> None:
    subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "app", *args], cwd=ROOT, env={**os.environ, **env}, check=True,
                   stdout=subprocess.DEVNULL)


def api(base: str, method: str, path: str, token: str | None = None, body: dict | None = None) -> dict:
    request = urllib.request.Request(f"{base}/api{path}", method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def drag(page, card, column) -> None:
    """Drag by the card's body onto the column, resting on it as a hand does (SortableJS checks every 50 ms)."""
    grip = card.locator(".bi-person").bounding_box()
    target = column.locator(".board-cards").bounding_box()
    x, y = grip["x"] + 40, grip["y"] + grip["height"] / 2
    to_x, to_y = target["x"] + target["width"] / 2, target["y"] + min(target["height"] / 2, 40)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 8, y + 8, steps=4)
    page.mouse.move(to_x, to_y, steps=12)
    page.wait_for_timeout(120)
    page.mouse.move(to_x + 2, to_y + 2)
    page.wait_for_timeout(60)
    page.mouse.up()


def one_move(page, task_id: str, how: str) -> tuple[float, float]:
    """ms from drop (or pick) to the card settled in In Progress, and to the server's board drawn."""
    page.evaluate("([task, target]) => Object.assign(window.__moves, {start: null, drawn: null, shown: null, task, target})",
                  [task_id, "In Progress"])
    card = page.locator(f"#board section[data-status='New'] .board-card[data-task-id='{task_id}']")
    if how == "drag":
        drag(page, card, page.locator("#board section[data-status='In Progress']"))
    else:
        card.locator("select[id*='board-move']").select_option("In Progress")
    page.wait_for_selector(f"#board section[data-status='In Progress'] .board-card[data-task-id='{task_id}']:not(.board-card-pending)",
                           timeout=30_000)
    page.wait_for_selector(".board-card-pending", state="detached", timeout=30_000)
    for _ in range(100):
        timing = page.evaluate("window.__moves")
        if timing["shown"] is not None:
            return timing["shown"] - timing["start"], timing["drawn"] - timing["start"]
        page.wait_for_timeout(20)
    raise RuntimeError(f"the {how} move of {task_id} was never seen settled")


def summary(values: list[float]) -> dict:
    ordered = sorted(values)
    return {"median_ms": round(statistics.median(ordered), 1), "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 1),
            "min_ms": round(ordered[0], 1), "max_ms": round(ordered[-1], 1), "runs_ms": [round(v, 1) for v in values]}


def measure(base: str, runs: int) -> dict:
    """Alternate drag and menu moves of fresh cards; returns each way's timings and the statuses read back."""
    from playwright.sync_api import sync_playwright

    token = api(base, "POST", "/auth/login", body={"username": "manager", "password": "demo-password"})["access_token"]
    tag = f"bench-drag-{uuid.uuid4().hex[:6]}"
    moves = WARMUPS + runs
    created = [api(base, "POST", "/tasks", token, {"title": f"Bench card {n:03}", "priority": "Medium", "tags": [tag]})["id"]
               for n in range(2 * moves)]
    timings = {"drag": [], "menu": [], "drag_drawn": [], "menu_drawn": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        context.add_init_script(TIMER_SCRIPT)
        page = context.new_page()
        page.goto(f"{base}/login")
        page.fill("#username", "manager")
        page.fill("#password", "demo-password")
        page.click("button[type=submit]")
        page.wait_for_selector("#home-tasks")
        page.goto(f"{base}/board?tag={tag}")
        page.wait_for_selector("#board section[data-status='New'] .board-card")
        for n in range(moves):
            for how, task_id in (("drag", created[2 * n]), ("menu", created[2 * n + 1])):
                elapsed, drawn = one_move(page, task_id, how)
                if n >= WARMUPS:
                    timings[how].append(elapsed)
                    timings[f"{how}_drawn"].append(drawn)
                # Read back (not timed), then finish it elsewhere: In Progress stays one card, so each move
                # redraws the same board (the New column, oldest first, always shows the next cards).
                saved = api(base, "GET", f"/tasks/{task_id}", token)
                if saved["status"] != "In Progress":
                    raise RuntimeError(f"the {how} move of {task_id} was shown but not saved: {saved['status']}")
                api(base, "PATCH", f"/tasks/{task_id}/status", token, {"status": "Completed"})
        browser.close()
    return {"tag": tag, "moves_per_way": runs, "moves_read_back_saved": 2 * moves,
            **{how: summary(values) for how, values in timings.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="timed moves per way (after %d warm-up moves each)" % WARMUPS)
    parser.add_argument("--tasks", type=int, default=2000, help="demo tasks loaded first (the embedded default's)")
    parser.add_argument("--postgres", action="store_true", help="a fresh PostgreSQL database at BENCH_POSTGRES_URL")
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="board_drag_")
    if args.postgres:
        name = f"wm_board_drag_{uuid.uuid4().hex[:8]}"
        url = databases.create_database(databases.ADMIN_URL, name)
    else:
        url = f"sqlite:///{folder}/board_drag.db"
    env = {"DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(48), "LOG_JSON": "false", "REDIS_URL": ""}
    try:
        flask(env, "db", "upgrade")
        flask(env, "demo", "--tasks", str(args.tasks), "--force")
        port = servers.free_port()
        server = servers.gunicorn("app:create_app()", port, env, workers=2, threads=4)
        try:
            result = measure(f"http://127.0.0.1:{port}", args.runs)
        finally:
            servers.stop(server)
    finally:
        if args.postgres:
            databases.drop_database(databases.ADMIN_URL, name)
    backend = "postgresql" if args.postgres else "sqlite"
    result.update(backend=backend, demo_tasks=args.tasks, measured_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                  commit=subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip())
    result["drag_over_menu"] = round(result["drag"]["median_ms"] / result["menu"]["median_ms"], 2)
    out = ROOT / "bench" / "results" / "board_drag.json"
    stored = json.loads(out.read_text()) if out.exists() else {}
    stored[backend] = result
    out.write_text(json.dumps(stored, indent=2) + "\n")
    print(json.dumps({key: value for key, value in result.items() if not isinstance(value, dict)}, indent=2))
    for how in ("drag", "menu", "drag_drawn", "menu_drawn"):
        print(f"{how}: median {result[how]['median_ms']} ms, p90 {result[how]['p90_ms']} ms "
              f"(min {result[how]['min_ms']}, max {result[how]['max_ms']}) over {args.runs} moves")


if __name__ == "__main__":
    main()
