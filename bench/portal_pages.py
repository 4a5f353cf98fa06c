"""Benchmark the portal in Chromium: time to a usable board and table, the analytics page against My work.

Board and table: the same pages are timed against a database holding the demo data at scale and
against an almost empty one (the reference: the demo users and 10 tasks), both served by gunicorn.

Analytics: on the demo data (`flask --app app demo --tasks 2000`) and at scale, the analytics page
(its KPI row and the figures of its SLA tab drawn) against My work (`/`, its task list rendered),
each measured in the same run; the time to its first drawn figure; each other tab drawn after a
click on it; every Dash callback answer (size, the browser's queueing, the server's time). The
server runs once per report cache setting (`REPORTS_CACHE_SECONDS`; 0 computes every figure).

    BIG_DATABASE_URL=postgresql+psycopg2://postgres@127.0.0.1:5432/wm_bench \\
    EMPTY_DATABASE_URL=postgresql+psycopg2://postgres@127.0.0.1:5432/wm_empty \\
    DEMO_DATABASE_URL=postgresql+psycopg2://postgres@127.0.0.1:5432/wm_demo_pages \\
        .venv/bin/python bench/portal_pages.py --runs 5

Without `--measure`, the parts whose databases are given run (EMPTY_DATABASE_URL: board and
table; DEMO_DATABASE_URL: analytics, on BIG_DATABASE_URL too if set); a part run alone keeps the
other's results in bench/results/portal_pages.json. The reference and demo databases are made
(migrated, the demo generator's users and tasks) if they do not exist.
"""
import argparse
import json
import re
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
#: The demo data: what `python app.py` loads (`flask --app app demo`'s default).
DEMO_TASKS = 2000

#: The analytics page's tabs after the first (SLA), each with the figures drawn once it is shown.
TAB_FIGURES = {
    "Flow": ("analytics-sankey", "analytics-matrix", "analytics-time-in-status", "analytics-rework"),
    "Delivery": ("analytics-cycle", "analytics-throughput", "analytics-cfd", "analytics-aging"),
    "Forecast": ("analytics-forecast",),
}
#: Plotly's script, whichever the page loads (the portal's own bundle, or dcc's plotly.min.js), not its loader.
PLOTLY_BUNDLE = re.compile(r"plotly(-portal)?\.min\.js")
#: Targets of the analytics measure.
MOST_ANALYTICS_VS_HOME = 1.5
MOST_FIRST_FIGURE_MS = 1000
MOST_DASH_RESPONSE_BYTES = 300_000  # 300 KB, KB = 1,000 bytes
#: The callbacks the analytics page is usable after (an output id each answers).
ANALYTICS_NEEDS = ("analytics-kpis", "analytics-sla-priority", "analytics-sla-week", "analytics-watchlist")

#: In every page from its first moment: each frame, note when each milestone is first seen, in ms from
#: navigation start (performance.now()). A figure is drawn when Plotly has put a trace (or the
#: "No data" annotation of an empty answer) in it: dcc.Graph draws empty axes before its figure comes.
MILESTONES_SCRIPT = """
(() => {
  const marks = {};
  const drawn = (el) => {
    if (!el) return false;
    const plot = el.classList.contains('js-plotly-plot') ? el : el.querySelector('.js-plotly-plot');
    return !!(plot && plot.querySelector(
      '.main-svg g.trace, .main-svg g.sankey-node, .main-svg g.hm, .main-svg g.annotation'));
  };
  const byId = (id) => document.getElementById(id);
  const checks = {
    home: () => !!byId('home-tasks'),
    kpis: () => !!byId('analytics-kpis-compliance_pct'),
    first_figure: () => [...document.querySelectorAll('.js-plotly-plot')].some(drawn),
    sla_priority: () => drawn(byId('analytics-sla-priority')),
    sla_week: () => drawn(byId('analytics-sla-week')),
    watchlist: () => { const el = byId('analytics-watchlist');
                       return !!el && (!!el.querySelector('table') || el.textContent.includes('No task')); },
    analytics: () => ['kpis', 'sla_priority', 'sla_week', 'watchlist'].every((name) => name in marks),
  };
  // The main thread's tasks over 50 ms (scripts compiled and run, React rendering, Plotly drawing).
  const longTasks = [];
  try {
    new PerformanceObserver((list) => list.getEntries().forEach((entry) =>
      longTasks.push([entry.startTime, entry.duration]))).observe({type: 'longtask', buffered: true});
  } catch (error) { /* no Long Tasks API */ }
  window.__bench = {marks, drawn, longTasks};
  const step = () => {
    const now = performance.now();
    for (const [name, check] of Object.entries(checks)) {
      if (!(name in marks) && check()) { marks[name] = now; }
    }
    if (!('home' in marks) && !('analytics' in marks) && now < 120000) { requestAnimationFrame(step); }
  };
  requestAnimationFrame(step);
})();
"""
#: Click a tab (by its label) and resolve with the ms until every figure of it is drawn in the shown pane.
TAB_SCRIPT = """
async ([label, figureIds]) => {
  const link = [...document.querySelectorAll('#analytics-tabs a')].find((a) => a.textContent.trim() === label);
  const started = performance.now();
  link.click();
  await new Promise((resolve, reject) => {
    const step = () => {
      const pane = document.querySelector('.tab-pane.active');
      if (pane && figureIds.every((id) => pane.contains(document.getElementById(id))
                                         && window.__bench.drawn(document.getElementById(id)))) { resolve(); }
      else if (performance.now() - started > 120000) { reject(new Error(label + ' not drawn')); }
      else { requestAnimationFrame(step); }
    };
    requestAnimationFrame(step);
  });
  return performance.now() - started;
}
"""


def ensure_database(url: str, tasks: int) -> None:
    """Create, migrate and fill with the demo generator's users and `tasks` tasks, if missing."""
    parsed = make_url(url)
    admin_url = parsed.set(database="postgres").render_as_string(hide_password=False)
    admin = databases.connect(admin_url)
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,))
        exists = cursor.fetchone() is not None
    admin.close()
    if not exists:
        databases.create_database(admin_url, parsed.database)
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(48), "LOG_JSON": "false"}
        flask = str(ROOT / ".venv/bin/flask")
        subprocess.run([flask, "--app", "app", "db", "upgrade"], cwd=ROOT, env=env, check=True)
        subprocess.run([flask, "--app", "app", "demo", "--tasks", str(tasks), "--force"], cwd=ROOT, env=env, check=True)


def ensure_empty_database(url: str) -> None:
    """Create, migrate and fill with the demo users and REFERENCE_TASKS tasks, if missing."""
    ensure_database(url, REFERENCE_TASKS)


def serve(url: str, port: int, cache_seconds: int | None = None) -> subprocess.Popen:
    """The portal on `url`'s database under gunicorn (2 workers x 4 threads), on `port` (checked to be ours).

    No REDIS_URL: the report cache, if on, is each worker's own (a shared Redis would share it with other servers).
    """
    env = {"DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(48), "LOG_JSON": "false", "REDIS_URL": ""}
    if cache_seconds is not None:
        env["REPORTS_CACHE_SECONDS"] = str(cache_seconds)
    return servers.gunicorn("app:create_app()", port, env, workers=2, threads=4)


def sign_in(browser, base: str):
    """A browser context signed in as `manager`."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("#username", "manager")
    page.fill("#password", "demo-password")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.close()
    return context


def measure(browser, base: str, runs: int) -> dict:
    """Median time from navigation to usable per page, and the largest Dash response seen."""
    context = sign_in(browser, base)
    page = context.new_page()
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
        page.wait_for_selector("text=Saved the priority", timeout=30_000)
        times.append(time.perf_counter() - started)
        page.locator("#tasks-edit-result .btn-close").click()
        page.wait_for_timeout(300)
    return {"median_s": statistics.median(times), "runs": [round(t, 3) for t in times]}


def _outputs(request) -> str:
    """The output ids a callback request asks for, shortened: `analytics-kpis.children+1`."""
    try:
        output = (request.post_data_json or {}).get("output", "")
    except Exception:  # not JSON
        return ""
    parts = [part for part in output.strip(".").split("...") if part]
    first = parts[0] if parts else output
    return first[:60] + (f"+{len(parts) - 1}" if len(parts) > 1 else "")


class DashRecorder:
    """Every Dash answer of one page (layout and callbacks): its size and its timing, and what is in flight."""

    def __init__(self, page):
        self.answers, self.in_flight = [], set()
        page.on("request", self._started)
        page.on("requestfinished", self._finished)
        page.on("requestfailed", lambda request: self.in_flight.discard(id(request)))

    @staticmethod
    def _dash(url: str) -> bool:
        return "/_dash-update-component" in url or "/_dash-layout" in url

    def _started(self, request):
        if self._dash(request.url):
            self.in_flight.add(id(request))

    def _finished(self, request):
        if not self._dash(request.url):
            return
        self.in_flight.discard(id(request))
        try:
            response = request.response()
        except Exception:  # Playwright's Error: the page closed meanwhile
            return
        status = response.status if response is not None else None
        try:
            size = len(response.body()) if response is not None and status != 204 else 0
        except Exception:  # no body kept (a refused callback's 204), or the page closed before it was read
            size = 0
        timing = request.timing
        self.answers.append({
            "kind": "layout" if "/_dash-layout" in request.url else "callback",
            "output": _outputs(request) if "/_dash-update-component" in request.url else "",
            "status": status, "bytes": size, "started_epoch_ms": timing["startTime"],
            # ms after the browser created the request: sent (waited for a connection before), first byte, last byte.
            "sent": timing["requestStart"], "first_byte": timing["responseStart"], "done": timing["responseEnd"],
        })

    def settle(self, page, quiet_ms: int = 300, most_ms: int = 30_000) -> None:
        """Wait until no Dash request has been in flight for `quiet_ms` (callbacks chained after the measured ones)."""
        quiet = 0
        for _ in range(most_ms // 50):
            quiet = quiet + 50 if not self.in_flight else 0
            if quiet >= quiet_ms:
                return
            page.wait_for_timeout(50)

    def timeline(self, time_origin: float) -> list[dict]:
        """The answers in ms from the page's navigation start: start, queued in the browser, server, download, end."""
        rows = []
        for answer in self.answers:
            start = answer["started_epoch_ms"] - time_origin
            rows.append({
                "kind": answer["kind"], "output": answer["output"], "status": answer["status"], "bytes": answer["bytes"],
                "start_ms": round(start, 1), "queued_ms": round(answer["sent"], 1),
                "server_ms": round(answer["first_byte"] - answer["sent"], 1),
                "download_ms": round(answer["done"] - answer["first_byte"], 1),
                "end_ms": round(start + answer["done"], 1),
            })
        return sorted(rows, key=lambda row: row["start_ms"])


def _visit(context, url: str, until: str, tabs: bool, screenshot: Path | None = None) -> dict:
    """Open `url` in a fresh page of the signed-in `context` and wait for the milestone `until`; on the analytics
    page, then click each other tab in turn. The milestones in ms from navigation start, the Dash answers."""
    page = context.new_page()
    recorder = DashRecorder(page)
    try:
        page.goto(url)
        page.wait_for_function(f"() => window.__bench && '{until}' in window.__bench.marks", timeout=120_000,
                               polling=100)
        marks = page.evaluate("() => ({...window.__bench.marks})")
        if screenshot is not None:
            page.screenshot(path=str(screenshot), full_page=True)
        tab_ms = {}
        if tabs:
            recorder.settle(page)  # the first tab's callbacks chained after usable, so a click is timed on its own
            for label, figure_ids in TAB_FIGURES.items():
                tab_ms[label] = page.evaluate(TAB_SCRIPT, [label, list(figure_ids)])
                recorder.settle(page)
        recorder.settle(page)
        time_origin = page.evaluate("() => performance.timeOrigin")
        navigation = page.evaluate("() => performance.getEntriesByType('navigation')[0].toJSON()")
        long_tasks = page.evaluate("() => window.__bench.longTasks")
        scripts = page.evaluate("""() => performance.getEntriesByType('resource')
            .filter((e) => e.initiatorType === 'script')
            .map((e) => ({name: e.name.split('/').pop().split('?')[0], path: new URL(e.name).pathname + new URL(e.name).search,
                          start_ms: Math.round(e.startTime),
                          end_ms: Math.round(e.responseEnd), transferred: e.transferSize, bytes: e.decodedBodySize}))""")
    finally:
        page.close()
    answers = recorder.timeline(time_origin)
    return {"marks": {name: round(value, 1) for name, value in marks.items()},
            "tabs": {name: round(value, 1) for name, value in tab_ms.items()},
            "html_done_ms": round(navigation["responseEnd"], 1),
            "dom_content_loaded_ms": round(navigation["domContentLoadedEventEnd"], 1),
            "long_tasks": [[round(start, 1), round(length, 1)] for start, length in long_tasks],
            "scripts": scripts, "answers": answers}


def _breakdown(visit: dict, usable: str, needs: tuple[str, ...]) -> dict:
    """Where the time to usable went: the HTML and scripts until the renderer asked for the layout, the page's
    own layout callback, the callbacks it needs (the last answer's end, their server time), the drawing after it."""
    answers = [a for a in visit["answers"] if a["start_ms"] <= visit["marks"][usable]]
    layout = next((a for a in answers if a["kind"] == "layout"), None)
    content = next((a for a in answers if a["output"].startswith("_pages_content")), None)
    needed = [a for a in answers if a["output"].split(".")[0] in needs]
    last = max((a["end_ms"] for a in needed), default=content["end_ms"] if content else 0.0)
    done = visit["marks"][usable]

    def busy(start: float, end: float) -> float:
        """The main thread's long tasks' time within [start, end]."""
        return round(sum(max(0.0, min(end, s + length) - max(start, s)) for s, length in visit["long_tasks"]), 1)

    plotly = next((s for s in visit["scripts"] if PLOTLY_BUNDLE.search(s["name"])), None)
    return {
        "scripts_loaded_ms": layout["start_ms"] if layout else None,
        "page_layout_done_ms": content["end_ms"] if content else None,
        "page_layout_server_ms": content["server_ms"] if content else None,
        "last_needed_answer_ms": last,
        "needed_server_ms_max": max((a["server_ms"] for a in needed), default=None),
        "needed_queued_ms_max": max((a["queued_ms"] for a in needed), default=None),
        "drawing_after_last_answer_ms": round(done - last, 1),
        "callbacks_before_usable": sum(a["kind"] == "callback" for a in answers),
        "long_tasks_before_usable_ms": busy(0.0, done),
        "long_tasks_after_last_answer_ms": busy(last, done),
        "plotly_script_start_ms": plotly["start_ms"] if plotly else None,
        "plotly_script_loaded_ms": plotly["end_ms"] if plotly else None,
    }


def _median(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 1) if values else None


def _largest(visits: list[dict]) -> dict:
    """The largest `/_dash-update-component` answer of these visits (and the layout's size, for comparison)."""
    callbacks = [a for visit in visits for a in visit["answers"] if a["kind"] == "callback"]
    top = max(callbacks, key=lambda a: a["bytes"], default={"bytes": 0, "output": None})
    layouts = [a["bytes"] for visit in visits for a in visit["answers"] if a["kind"] == "layout"]
    return {"bytes": top["bytes"], "output": top["output"], "dash_layout_bytes": max(layouts, default=None)}


def _per_callback(visits: list[dict]) -> dict:
    """Per callback output (answered, not refused with 204): the median server time, queueing, and the size."""
    rows: dict[str, list[dict]] = {}
    for visit in visits:
        for answer in visit["answers"]:
            if answer["kind"] == "callback" and answer["status"] == 200:
                rows.setdefault(answer["output"], []).append(answer)
    return {output: {"median_server_ms": _median(a["server_ms"] for a in answers),
                     "median_queued_ms": _median(a["queued_ms"] for a in answers),
                     "bytes": max(a["bytes"] for a in answers), "answers": len(answers)}
            for output, answers in sorted(rows.items())}


#: Load a script (by its address) into the page and resolve with the ms until it has run (fetched, compiled, run).
SCRIPT_RUN_SCRIPT = """
(src) => new Promise((resolve, reject) => {
  const started = performance.now();
  const script = document.createElement('script');
  script.src = src;
  script.onload = () => resolve(performance.now() - started);
  script.onerror = () => reject(new Error('not loaded: ' + src));
  document.head.appendChild(script);
})
"""


def plotly_run_ms(context, base: str, src: str, runs: int) -> list[float]:
    """The time the browser takes to load Plotly's bundle (from its cache) and run it, alone in a fresh page
    (`/healthz`, no Dash): what a page's first figure waits for besides its data, each time a page is opened."""
    times = []
    for _ in range(runs):
        page = context.new_page()
        try:
            page.goto(f"{base}/healthz")
            times.append(round(page.evaluate(SCRIPT_RUN_SCRIPT, src), 1))
        finally:
            page.close()
    return times


def measure_analytics(browser, base: str, runs: int, screenshot: Path | None, warmups: int = 2) -> dict:
    """My work and the analytics page, alternately in fresh pages of one signed-in context, `runs` times each after
    `warmups` untimed visits of both (the browser's cache of the scripts, the server's connections, and with a
    report cache on, its entries)."""
    context = sign_in(browser, base)
    context.add_init_script(MILESTONES_SCRIPT)
    home, analytics = f"{base}/", f"{base}/analytics"
    for _ in range(warmups):
        _visit(context, home, "home", tabs=False)
        _visit(context, analytics, "analytics", tabs=True)
    homes, pages = [], []
    for run in range(runs):
        order = [("home", home), ("analytics", analytics)]
        for name, url in order if run % 2 == 0 else order[::-1]:
            if name == "home":
                homes.append(_visit(context, url, "home", tabs=False))
            else:
                pages.append(_visit(context, url, "analytics", tabs=True,
                                    screenshot=screenshot if run == runs - 1 else None))
    plotly = next((script["path"] for script in pages[-1]["scripts"] if PLOTLY_BUNDLE.search(script["name"])), None)
    plotly_runs = plotly_run_ms(context, base, f"{base}{plotly}", runs) if plotly else []
    context.close()
    home_usable = [v["marks"]["home"] for v in homes]
    analytics_usable = [v["marks"]["analytics"] for v in pages]
    home_breakdowns = [_breakdown(v, "home", ()) for v in homes]
    page_breakdowns = [_breakdown(v, "analytics", ANALYTICS_NEEDS) for v in pages]
    result = {
        "home_usable_ms": _median(home_usable),
        "analytics_usable_ms": _median(analytics_usable),
        "analytics_vs_home": round(_median(analytics_usable) / _median(home_usable), 2),
        "first_figure_ms": _median(v["marks"]["first_figure"] for v in pages),
        "kpis_ms": _median(v["marks"]["kpis"] for v in pages),
        "tabs_ms": {label: _median(v["tabs"][label] for v in pages) for label in TAB_FIGURES},
        "plotly_bundle_run_alone_ms": _median(plotly_runs),
        "largest_dash_response": {"home": _largest(homes), "analytics": _largest(pages)},
        "breakdown_median": {
            "home": {key: _median(b[key] for b in home_breakdowns) for key in home_breakdowns[0]},
            "analytics": {key: _median(b[key] for b in page_breakdowns) for key in page_breakdowns[0]},
        },
        "callbacks": {"home": _per_callback(homes), "analytics": _per_callback(pages)},
        "runs": {
            "home_usable_ms": home_usable, "analytics_usable_ms": analytics_usable,
            "first_figure_ms": [v["marks"]["first_figure"] for v in pages],
            "plotly_bundle_run_alone_ms": plotly_runs,
            "tabs_ms": [v["tabs"] for v in pages],
        },
        "last_run": {"home": homes[-1], "analytics": pages[-1]},
    }
    return result


def analytics_targets(results: dict) -> dict:
    """Each target against each database and cache setting measured: met or not."""
    verdicts = {}
    for key, result in results.items():
        largest = max(result["largest_dash_response"]["home"]["bytes"], result["largest_dash_response"]["analytics"]["bytes"])
        verdicts[key] = {
            "analytics_vs_home_at_most_1.5": result["analytics_vs_home"] <= MOST_ANALYTICS_VS_HOME,
            "no_dash_response_over_300kb": largest <= MOST_DASH_RESPONSE_BYTES,
        }
        if key.startswith("demo"):
            verdicts[key]["first_figure_under_1s"] = result["first_figure_ms"] < MOST_FIRST_FIGURE_MS
    return verdicts


def code_version() -> dict:
    """The commit measured and the files changed beside it (the servers run the working tree)."""
    def git(*args) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return {"commit": git("rev-parse", "HEAD"), "modified": git("status", "--short", "--untracked-files=no").splitlines()}


def run_board_table(browser, runs: int) -> dict:
    """The board and the table on the big database against the reference (the script's first measure)."""
    big, empty = os.environ["BIG_DATABASE_URL"], os.environ["EMPTY_DATABASE_URL"]
    ensure_empty_database(empty)
    summary = {}
    for label, url in (("empty", empty), ("big", big)):
        port = servers.free_port()
        server = serve(url, port)
        try:
            summary[label] = measure(browser, f"http://127.0.0.1:{port}", runs)
        finally:
            servers.stop(server)
    for name in PAGES:
        summary[f"{name}_big_vs_empty"] = summary["big"][name]["median_s"] / summary["empty"][name]["median_s"]
    summary["cell_edit_big_vs_empty"] = summary["big"]["cell_edit"]["median_s"] / summary["empty"]["cell_edit"]["median_s"]
    return summary


def run_analytics(browser, runs: int, cache_settings: list[int], databases_to_run: list[str], out: Path) -> dict:
    """The analytics page against My work on the demo data and on the big database, per report cache setting."""
    urls = {"demo": os.environ.get("DEMO_DATABASE_URL"), "big": os.environ.get("BIG_DATABASE_URL")}
    if "demo" in databases_to_run:
        ensure_database(urls["demo"], DEMO_TASKS)
    results = {}
    for label in databases_to_run:
        for seconds in cache_settings:
            key = f"{label}_cache{seconds}"
            port = servers.free_port()
            server = serve(urls[label], port, cache_seconds=seconds)
            load_before = os.getloadavg()[0]
            try:
                results[key] = measure_analytics(browser, f"http://127.0.0.1:{port}", runs,
                                                 screenshot=out / f"portal_pages-analytics-{key}.png")
            finally:
                servers.stop(server)
            results[key]["reports_cache_seconds"] = seconds
            # Other work on the machine shares its cores with the browser and the server: note how much there was.
            results[key]["load_average_1min"] = {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)}
            brief = {k: results[key][k] for k in ("home_usable_ms", "analytics_usable_ms", "analytics_vs_home",
                                                  "first_figure_ms", "kpis_ms", "tabs_ms")}
            print(key, json.dumps(brief), flush=True)
    return {"results": results, "targets": analytics_targets(results), "code": code_version(),
            "databases": {label: make_url(urls[label]).database for label in databases_to_run}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--measure", choices=("all", "board-table", "analytics"), default=None,
                        help="default: board-table if EMPTY_DATABASE_URL is set, analytics if DEMO_DATABASE_URL is")
    parser.add_argument("--cache-seconds", default="0,600",
                        help="analytics: REPORTS_CACHE_SECONDS of each server run, comma separated (0: no cache)")
    parser.add_argument("--databases", default=None,
                        help="analytics: of demo (DEMO_DATABASE_URL) and big (BIG_DATABASE_URL); default: those set")
    args = parser.parse_args()
    if args.measure is None:
        parts = [name for name, variable in (("board-table", "EMPTY_DATABASE_URL"), ("analytics", "DEMO_DATABASE_URL"))
                 if os.environ.get(variable)]
        if not parts:
            parser.error("set EMPTY_DATABASE_URL (board and table) or DEMO_DATABASE_URL (analytics), or both")
        args.measure = parts[0] if len(parts) == 1 else "all"
    if args.databases is None:
        args.databases = ",".join(name for name, variable in (("demo", "DEMO_DATABASE_URL"), ("big", "BIG_DATABASE_URL"))
                                  if os.environ.get(variable))
    from playwright.sync_api import sync_playwright

    out = ROOT / "bench/results"
    out.mkdir(exist_ok=True)
    path = out / "portal_pages.json"
    summary = json.loads(path.read_text()) if path.exists() else {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            if args.measure in ("all", "board-table"):
                summary["board_table"] = run_board_table(browser, args.runs)
            if args.measure in ("all", "analytics"):
                summary["analytics"] = run_analytics(
                    browser, args.runs, [int(s) for s in args.cache_seconds.split(",")],
                    [d.strip() for d in args.databases.split(",")], out)
        finally:
            browser.close()
    path.write_text(json.dumps(summary, indent=2))
    printed = {key: value for key, value in summary.items() if key != "analytics"}
    if "analytics" in summary:
        printed["analytics"] = {
            "targets": summary["analytics"]["targets"],
            **{key: {k: r[k] for k in ("home_usable_ms", "analytics_usable_ms", "analytics_vs_home", "first_figure_ms",
                                       "tabs_ms", "largest_dash_response", "breakdown_median")}
               for key, r in summary["analytics"]["results"].items()},
        }
    print(json.dumps(printed, indent=2))


if __name__ == "__main__":
    main()
