"""The analytics page as two checkouts serve it, side by side: which draws it sooner, in one browser.

`bench/portal_pages.py` holds the page against My work; between two runs of it the machine moves
more than most changes do. This serves each checkout given (each with its own `.venv`) on the demo
database under gunicorn (2 workers x 4 threads, report cache off, free ports checked to be ours)
and visits My work and the analytics page of each in turn, alternating which goes first, with the
milestones of `bench/portal_pages.py`. Prints the medians per checkout.

    git worktree add /tmp/before <commit>; ln -s "$PWD/.venv" /tmp/before/.venv
    DEMO_DATABASE_URL=postgresql+psycopg2://postgres@127.0.0.1:5432/wm_demo_pages \\
        .venv/bin/python bench/analytics_side_by_side.py /tmp/before . --runs 9
"""
import argparse
import os
import secrets
import statistics
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import portal_pages, servers  # noqa: E402

WARMUPS = 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkouts", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    url = os.environ["DEMO_DATABASE_URL"]
    portal_pages.ensure_database(url, portal_pages.DEMO_TASKS)
    env = {"DATABASE_URL": url, "LOG_JSON": "false", "REDIS_URL": "", "REPORTS_CACHE_SECONDS": "0"}
    served = []
    try:
        for checkout in args.checkouts:
            port = servers.free_port()
            process = servers.gunicorn("app:create_app()", port, {**env, "SECRET_KEY": secrets.token_urlsafe(48)},
                                       workers=2, threads=4, checkout=checkout.resolve())
            served.append((checkout, process, f"http://127.0.0.1:{port}"))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=portal_pages.CHROMIUM_ARGS)
            contexts = []
            for _checkout, _process, base in served:
                context = portal_pages.sign_in(browser, base)
                context.add_init_script(portal_pages.MILESTONES_SCRIPT)
                contexts.append(context)
            marks = {checkout: {"home": [], "analytics": [], "first_figure": [], "kpis": []} for checkout, *_ in served}
            for run in range(WARMUPS + args.runs):
                order = list(zip(served, contexts))
                for (checkout, _process, base), context in order if run % 2 == 0 else order[::-1]:
                    home = portal_pages._visit(context, f"{base}/", "home", tabs=False)
                    page = portal_pages._visit(context, f"{base}/analytics", "analytics", tabs=False)
                    if run >= WARMUPS:
                        marks[checkout]["home"].append(home["marks"]["home"])
                        for name in ("analytics", "first_figure", "kpis"):
                            marks[checkout][name].append(page["marks"][name])
            browser.close()
    finally:
        for _checkout, process, _base in served:
            servers.stop(process)
    print("| checkout | My work usable | analytics usable | ratio | first figure | KPI row |\n|---|---|---|---|---|---|")
    for checkout, seen in marks.items():
        median = {name: statistics.median(values) for name, values in seen.items()}
        print(f"| {checkout} | {median['home']:.0f} ms | {median['analytics']:.0f} ms | "
              f"{median['analytics'] / median['home']:.2f} | {median['first_figure']:.0f} ms | {median['kpis']:.0f} ms |")


if __name__ == "__main__":
    main()
