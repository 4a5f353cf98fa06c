"""Screenshots of every portal page at desktop and phone width in both themes, for the README.

Serves the portal on a free port over a SQLite database of its own holding the demo data (what
`python app.py` shows a newcomer), signs in as the role each page is for, and writes
docs/screenshots/pages/<page>-<desktop|phone>-<light|dark>.jpg and the gallery docs/screenshots/README.md.

    .venv/bin/python scripts/screenshots.py
"""
import json
import os
import secrets
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots" / "pages"
GALLERY = ROOT / "docs" / "screenshots" / "README.md"
PASSWORD = "demo-password"
VIEWPORTS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
THEMES = ("light", "dark")
#: name -> (who, path or a callable of the demo ids, what shows it is ready, what it is)
PAGES = {
    "my-work": ("agent", "/", "#home-tasks", "My work: the agent's open tasks and notifications"),
    "tasks": ("agent", "/tasks", ".ag-row", "Tasks: the grid with filters, saved views and inline edits"),
    "board": ("agent", "/board", ".board-card", "Board: drag and drop between columns, WIP limits"),
    "task": ("agent", "/tasks/{task}", "#task-fields h1", "A task: fields, moves, watch, attachments, comments, history"),
    "new-task": ("agent", "/new-task", "#new-task-form", "New task, with its case"),
    "cases": ("manager", "/cases", "#cases-list, .cases-list, table", "Cases"),
    "case": ("manager", "/cases/{case}", "#case-header", "A case: progress, its tasks, forecast, history"),
    "notifications": ("agent", "/notifications", "h1", "Notifications"),
    "preferences": ("agent", "/preferences", "h1", "Notification preferences"),
    "profile": ("agent", "/profile", "#profile-time-zone",
                "Profile: name, contact, time zone, away, password, service tokens, report subscriptions"),
    "analytics-sla": ("manager", "/analytics?tab=sla", "#analytics-sla-priority .main-svg", "Analytics: KPIs and SLA"),
    "analytics-flow": ("manager", "/analytics?tab=flow", "#analytics-sankey .main-svg", "Analytics: flow"),
    "analytics-delivery": ("manager", "/analytics?tab=delivery", "#analytics-cycle .main-svg", "Analytics: delivery"),
    "analytics-forecast": ("manager", "/analytics?tab=forecast", "#analytics-forecast .main-svg", "Analytics: forecast"),
    "workload": ("manager", "/workload", "h1", "Workload per assignee"),
    "users": ("admin", "/admin/users", "table", "Users (admins)"),
    "sla-settings": ("admin", "/admin/sla", "h1", "SLA settings: targets, business hours and escalations"),
    "assignment": ("manager", "/admin/assignment", "h1", "Auto-assignment per department"),
    "webhooks": ("admin", "/admin/webhooks", "h1", "Webhooks (admins)"),
    "audit": ("admin", "/admin/audit", "#admin-audit-list", "Audit log (admins)"),
    "not-found": ("viewer", "/no-such-page", "#not-found", "An unknown address"),
    "viewer-home": ("viewer", "/", "h1", "My work as a Viewer"),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def api(base: str, path: str, token: str | None = None, body: dict | None = None):
    request = urllib.request.Request(f"{base}{path}", data=json.dumps(body).encode() if body else None,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


def serve(workdir: Path) -> tuple[subprocess.Popen, str]:
    """The portal on a free port over a SQLite database of its own holding the demo data; waits until it answers."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{workdir / 'screenshots.db'}",
           "SECRET_KEY": secrets.token_urlsafe(48), "LOG_JSON": "false"}
    env.pop("REDIS_URL", None)
    flask = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "app"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "demo", "--force"], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1",
                               "--threads", "4", "--log-level", "warning", "app:create_app()"],
                              cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=2)
            return server, base
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit("the portal did not start")


def demo_ids(base: str) -> dict:
    token = api(base, "/api/auth/login", body={"username": "agent", "password": PASSWORD})["access_token"]
    mine = api(base, "/api/tasks?assigned_to=me&status=In%20Progress&limit=1", token)["items"]
    case = api(base, "/api/cases?status=open&limit=1", token)["items"]
    return {"task": mine[0]["id"], "case": case[0]["id"]}


def shoot(browser, base: str, ids: dict) -> list[tuple[str, str]]:
    made = []
    for theme in THEMES:
        contexts = {}
        for name, (who, path, ready, _about) in PAGES.items():
            if who not in contexts:
                # A zone of its own, taken on first sign-in as a newcomer's would be: times say "Berlin time".
                context = browser.new_context(color_scheme=theme, viewport=VIEWPORTS["desktop"], timezone_id="Europe/Berlin")
                page = context.new_page()
                page.goto(f"{base}/login")
                page.fill("input[name=username]", who)
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url(f"{base}/")
                contexts[who] = page
            page = contexts[who]
            for size, viewport in VIEWPORTS.items():
                page.set_viewport_size(viewport)
                page.goto(f"{base}{path.format(**ids)}")
                page.wait_for_selector(ready, state="attached", timeout=60_000)
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(500)
                target = OUT / f"{name}-{size}-{theme}.jpg"
                page.screenshot(path=str(target), type="jpeg", quality=70)
                made.append((name, target.name))
        for page in contexts.values():
            page.context.close()
    return made


def gallery() -> str:
    lines = ["# The portal, page by page", "",
             "Every page at desktop (1440×900) and phone (390×844) width in the light and dark themes, on the demo data.",
             "Made by `.venv/bin/python scripts/screenshots.py`.", ""]
    for name, (who, _path, _ready, about) in PAGES.items():
        lines += [f"## {about}", "", f"As `{who}`.", ""]
        for theme in THEMES:
            lines.append(f'<img src="pages/{name}-desktop-{theme}.jpg" alt="{about}, desktop, {theme}" width="560"> '
                         f'<img src="pages/{name}-phone-{theme}.jpg" alt="{about}, phone, {theme}" width="150">')
            lines.append("")
    return "\n".join(lines)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir:
        server, base = serve(Path(workdir))
        try:
            ids = demo_ids(base)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
                                                     args=["--no-sandbox", "--disable-gpu"])
                made = shoot(browser, base, ids)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    GALLERY.write_text(gallery())
    print(f"{len(made)} screenshots in {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
