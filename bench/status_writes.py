"""Benchmark PATCH /api/tasks/{id}/status with the analytics facts kept against the same app without them.

Every task change keeps the analytics facts in its own transaction (workflow/analytics.py). This
measures what that costs on the busiest write: a fresh PostgreSQL database (created here, loaded
with the demo data, dropped at the end even on failure) is served twice by gunicorn (2 workers,
1 thread each): (a) the real app `app:create_app()`; (b) `bench.no_facts_app:create_app()`, the
same app with `analytics.before_change` and `analytics.keep` replaced by no-ops. wrk (2 threads)
drives each with status changes as the demo manager, rounds alternating a, b, a, b, ...; the
result is the median req/s of each side and the ratio facts / no facts (target >= 0.8).

Requests. `--open-tasks` tasks In Progress or On Hold are split in two disjoint halves, one per
side; each wrk thread owns a disjoint share of its side's half (no two requests in flight on one
task) and cycles through it, moving each task to the other of On Hold / In Progress (both moves
allowed from each other), so every pass over the share changes each task once. A task's status
is what the last answer for it said; between wrk runs it is read back from the database once the
server is done, so a request cut off at the end of a run (answered after wrk stopped listening)
never makes the next run ask for a move the task cannot make. Every response that is not 2xx is
counted (wrk's `response` hook); any makes the benchmark fail.

Exactness. The facts must equal a derivation from scratch (`reports.facts.stored()` and
`derived()`, what `flask reports check` compares). Side (b) changes its tasks without keeping the facts, so the
plain check can only hold before (b) first runs: it is made after loading and right after the
first (a) round, before (b)'s warm-up. After the whole run the check is made again with (b)'s
tasks taken out: the stored facts plus what (b)'s tasks now account for minus what they did before
(b) first ran must equal the derivation.

    .venv/bin/python bench/status_writes.py --tasks 20000 --duration 20 --connections 8 --rounds 2

Writes bench/results/status_writes.json and prints a markdown table. PostgreSQL is reached as
BENCH_POSTGRES_URL (default postgresql+psycopg2://postgres@127.0.0.1:5432/postgres).
"""
import argparse
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import databases  # noqa: E402
from bench.servers import free_port, gunicorn, stop  # noqa: E402

RESULTS = ROOT / "bench/results"
WRK = os.environ.get("WRK", "wrk")
WRK_THREADS = 2
WARM_UP_S = 2
TARGET_RATIO = 0.8
IN_PROGRESS, ON_HOLD = "In Progress", "On Hold"
SIDES = {
    "facts": "app:create_app()",
    "no facts": "bench.no_facts_app:create_app()",
}


# --- the database -------------------------------------------------------------------------


def load(url: str, tasks: int) -> dict:
    from sqlalchemy import create_engine

    from db.migrate import upgrade
    from jobs.demo import generate

    upgrade(url)
    engine = create_engine(url)
    try:
        started = time.perf_counter()
        counts = generate(engine, tasks=tasks)
        print(f"demo data: {tasks:,} tasks in {time.perf_counter() - started:.0f} s", flush=True)
    finally:
        engine.dispose()
    return counts


# --- in-process reads: the tasks, their statuses, the facts --------------------------------


def open_tasks(app, count: int) -> list[str]:
    """`count` live tasks In Progress or On Hold (by id: oldest first)."""
    from sqlalchemy import select

    from db import session
    from db.models import Task, TaskStatus

    with app.app_context():
        ids = session.scalars(select(Task.id).where(Task.status.in_([TaskStatus.IN_PROGRESS, TaskStatus.ON_HOLD]),
                                                    Task.deleted_at.is_(None))
                              .order_by(Task.id).limit(count)).all()
        session.remove()
    return [str(task_id) for task_id in ids]


def statuses(app, ids: list[str]) -> list[str]:
    """The tasks' current statuses, in the order of `ids`."""
    import uuid

    from sqlalchemy import select

    from db import session
    from db.models import Task

    with app.app_context():
        chosen = [uuid.UUID(i) for i in ids]
        found = dict(session.execute(select(Task.id, Task.status).where(Task.id.in_(chosen))).all())
        session.remove()
    current = [found[uuid.UUID(i)].value for i in ids]
    unexpected = set(current) - {IN_PROGRESS, ON_HOLD}
    if unexpected:
        raise SystemExit(f"benchmark tasks left In Progress / On Hold: {sorted(unexpected)}")
    return current


def settled(app, ids: list[str]) -> list[str]:
    """The tasks' statuses once every request wrk sent is committed.

    wrk stops with requests in flight; the server still answers them (to a closed socket). The
    statuses count as settled when three reads half a second apart agree and no other session of
    the database is busy at any of them.
    """
    from sqlalchemy import text

    from db import session

    readings: list[list[str]] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with app.app_context():
            busy = session.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                       "AND pid <> pg_backend_pid() AND state IS NOT NULL AND state <> 'idle'"))
            session.remove()
        current = statuses(app, ids)
        readings = readings + [current] if not busy and (not readings or readings[-1] == current) else []
        if len(readings) == 3:
            return current
        time.sleep(0.5)
    raise SystemExit("the server kept changing the tasks after wrk stopped")


def contribution(app, ids: list[str]) -> Counter:
    """What the tasks account for in a derivation now."""
    import uuid

    from db import session
    from reports import facts

    with app.app_context():
        counted = facts.contribution([uuid.UUID(i) for i in ids])
        session.remove()
    return counted


def _nonzero(counts: dict) -> dict:
    return {key: n for key, n in counts.items() if n}


def exactness(app, label: str, *, excluded: list[str] | None = None, excluded_before: Counter | None = None) -> dict:
    """Whether the stored facts equal a derivation from scratch; with `excluded`, leaving out what
    those tasks changed since `excluded_before` (their contribution then) without keeping the facts."""
    from db import session
    from reports import facts

    with app.app_context():
        stored, expected = facts.stored(), facts.derived()
        if excluded is not None:
            import uuid

            now = facts.contribution([uuid.UUID(i) for i in excluded])
            stored = Counter(stored)
            for key, n in facts.difference(excluded_before, now).items():
                stored[key] += n
        session.remove()
    stored, expected = _nonzero(stored), _nonzero(expected)
    differing = sum(1 for key in stored.keys() | expected.keys() if stored.get(key, 0) != expected.get(key, 0))
    result = {"when": label, "exact": differing == 0, "fact_cells": len(expected), "differing_cells": differing}
    print(f"facts exact {label}: {'yes' if differing == 0 else f'NO ({differing} cells differ)'} "
          f"({len(expected):,} cells)", flush=True)
    return result


# --- HTTP -----------------------------------------------------------------------------------


def login(port: int) -> str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/auth/login",
        data=json.dumps({"username": "manager", "password": "demo-password"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)["access_token"]


LUA = """-- Status changes: each wrk thread cycles through its own share of the tasks, moving each to the
-- other of On Hold / In Progress, and counts the responses that are not 2xx.
--
-- A task's status is what the last answer for it said (the database's at the start): wrk calls
-- request() once more than it sends (it checks the first thread's script before connecting), so a
-- status guessed when a request is made would go wrong for that request's task.
local ids = {%(ids)s}
local current = {%(statuses)s}
local threads = {}

function setup(thread)
  thread:set("share", #threads)
  table.insert(threads, thread)
end

function init(args)
  mine, status = {}, {}
  for k = 1, #ids do
    if (k - 1) %% %(threads)d == share then
      mine[#mine + 1] = ids[k]
      status[ids[k]] = current[k]
    end
  end
  step, bad, first_bad = 0, 0, ""
  wrk.headers["Authorization"] = "Bearer %(token)s"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local id = mine[step %% #mine + 1]
  step = step + 1
  local target = "On Hold"
  if status[id] == "On Hold" then target = "In Progress" end
  return wrk.format("PATCH", "/api/tasks/" .. id .. "/status", nil, '{"status":"' .. target .. '"}')
end

function response(code, headers, body)
  if code < 200 or code > 299 then
    bad = bad + 1
    if first_bad == "" then first_bad = code .. " " .. string.sub(body or "", 1, 300) end
    return
  end
  local id = string.match(body, '"id":%%s*"([%%x%%-]+)"')
  local now = string.match(body, '"status":%%s*"([^"]+)"')
  if id ~= nil and status[id] ~= nil then status[id] = now end
end

function done(summary, latency, requests)
  local total, first = 0, ""
  for _, thread in ipairs(threads) do
    total = total + thread:get("bad")
    local seen = thread:get("first_bad")
    if first == "" and seen ~= nil and seen ~= "" then first = seen end
  end
  io.write("bench-non-2xx: " .. total .. "\\n")
  if first ~= "" then io.write("bench-first-non-2xx: " .. string.gsub(first, "\\n", " ") .. "\\n") end
end
"""


def lua_script(folder: Path, name: str, ids: list[str], current: list[str], token: str) -> Path:
    if len(ids) < WRK_THREADS:
        raise SystemExit("too few tasks for the wrk threads")
    path = folder / f"{name}.lua"
    path.write_text(LUA % {
        "ids": ", ".join(f'"{i}"' for i in ids), "statuses": ", ".join(f'"{s}"' for s in current),
        "threads": WRK_THREADS, "token": token,
    })
    return path


def _milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(port: int, script: Path, duration: int, connections: int) -> dict:
    command = [WRK, f"-t{WRK_THREADS}", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script),
               f"http://127.0.0.1:{port}/"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    non_2xx = re.search(r"bench-non-2xx: (\d+)", output)
    if non_2xx is None:
        raise SystemExit(f"wrk did not report its responses:\n{output}")
    first = re.search(r"bench-first-non-2xx: (.*)", output)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "p50_ms": _milliseconds(re.search(r"50%\s+([\d.]+\w+)", output).group(1)),
        "p99_ms": _milliseconds(re.search(r"99%\s+([\d.]+\w+)", output).group(1)),
        "non_2xx": int(non_2xx.group(1)),
        "first_non_2xx": first.group(1) if first else None,
        "socket_errors": sum(int(n) for n in socket.groups()) if socket else 0,
    }


# --- the run --------------------------------------------------------------------------------


def run(args, url: str, folder: Path) -> dict:
    import db
    from app import create_app

    secret = secrets.token_urlsafe(48)
    settings = {"DATABASE_URL": url, "SECRET_KEY": secret, "MAIL_SES": False, "SMS_ENABLED": False,
                "METRICS_ENABLED": False, "REDIS_URL": None, "SNS_TOPIC_ARN": None, "SMTP_URL": None,
                "CLOUDWATCH_LOG_GROUP": None, "LOG_JSON": False}
    app = create_app(settings)
    chosen = open_tasks(app, args.open_tasks)
    if len(chosen) < args.open_tasks:
        raise SystemExit(f"only {len(chosen)} tasks In Progress or On Hold, {args.open_tasks} asked for: "
                         "load more demo data")
    halves = {"facts": chosen[0::2], "no facts": chosen[1::2]}  # alternate: both halves alike in age
    checks = [exactness(app, "after loading")]

    env = {"DATABASE_URL": url, "SECRET_KEY": secret, "PYTHONPATH": str(ROOT), "MAIL_SES": "false",
           "SMS_ENABLED": "false", "METRICS_ENABLED": "false", "LOG_JSON": "false", "REDIS_URL": "",
           "SNS_TOPIC_ARN": "", "SMTP_URL": "", "CLOUDWATCH_LOG_GROUP": ""}
    servers, ports = {}, {}
    rounds: dict[str, list[dict]] = {side: [] for side in SIDES}
    warm_ups: dict[str, dict] = {}
    excluded_before = None
    try:
        for side, target in SIDES.items():
            ports[side] = free_port()
            servers[side] = gunicorn(target, ports[side], env, workers=2, threads=1)
        token = login(ports["facts"])

        current = {side: statuses(app, ids) for side, ids in halves.items()}

        def measure(side: str, duration: int) -> dict:
            script = lua_script(folder, side.replace(" ", "_"), halves[side], current[side], token)
            result = wrk(ports[side], script, duration, args.connections)
            current[side] = settled(app, halves[side])
            return result

        for number in range(args.rounds):
            for side in SIDES:
                if side not in warm_ups:
                    if side == "no facts":  # before it first changes a task
                        excluded_before = contribution(app, halves["no facts"])
                    warm_ups[side] = measure(side, WARM_UP_S)
                result = measure(side, args.duration)
                rounds[side].append(result)
                print(f"round {number + 1} {side:8}: {result['rps']:7.1f} req/s, p50 {result['p50_ms']:.2f} ms, "
                      f"p99 {result['p99_ms']:.2f} ms, non-2xx {result['non_2xx']}"
                      + (f" (first: {result['first_non_2xx']})" if result["first_non_2xx"] else ""), flush=True)
                if number == 0 and side == "facts":
                    checks.append(exactness(app, "after the first facts round, before the no-facts side ran"))
    finally:
        for process in servers.values():
            stop(process)
    checks.append(exactness(app, "after every round, the no-facts side's tasks left out",
                            excluded=halves["no facts"], excluded_before=excluded_before))
    for engine in list(db._engines.values()):
        engine.dispose()

    medians = {side: statistics.median(r["rps"] for r in results) for side, results in rounds.items()}
    ratio = medians["facts"] / medians["no facts"]
    runs = [*warm_ups.values(), *(r for results in rounds.values() for r in results)]
    return {
        "tasks": args.tasks, "tasks_per_side": {side: len(ids) for side, ids in halves.items()},
        "gunicorn": {"workers": 2, "threads": 1}, "wrk": {"threads": WRK_THREADS, "connections": args.connections},
        "duration_s": args.duration, "warm_up_s": WARM_UP_S, "rounds": rounds, "warm_ups": warm_ups,
        "median_rps": medians, "ratio_facts_to_no_facts": ratio, "target_ratio": TARGET_RATIO,
        "target_met": ratio >= TARGET_RATIO, "exactness": checks,
        "non_2xx": sum(r["non_2xx"] for r in runs),
        "socket_errors": sum(r["socket_errors"] for r in runs),
        "command": " ".join([".venv/bin/python", "bench/status_writes.py", *sys.argv[1:]]),
    }


def report(summary: dict) -> None:
    count = len(next(iter(summary["rounds"].values())))
    print()
    print(f"{summary['tasks']:,} demo tasks; {summary['tasks_per_side']['facts']:,} tasks In Progress / On Hold "
          f"per side; {summary['wrk']['connections']} connections, {summary['duration_s']} s per round\n")
    rounds_header = " | ".join(f"round {n + 1} req/s" for n in range(count))
    print(f"| case | {rounds_header} | median req/s | p50 | p99 | non-2xx |")
    print("|---" * (count + 5) + "|")
    for side, results in summary["rounds"].items():
        per_round = " | ".join(f"{r['rps']:.0f}" for r in results)
        p50 = ", ".join(f"{r['p50_ms']:.2f} ms" for r in results)
        p99 = ", ".join(f"{r['p99_ms']:.2f} ms" for r in results)
        non_2xx = sum(r["non_2xx"] for r in results) + summary["warm_ups"][side]["non_2xx"]
        print(f"| {side} | {per_round} | {summary['median_rps'][side]:.0f} | {p50} | {p99} | {non_2xx} |")
    ratio = summary["ratio_facts_to_no_facts"]
    verdict = "met" if summary["target_met"] else "NOT met"
    print(f"\nfacts / no facts: {ratio:.2f} (target >= {TARGET_RATIO}: {verdict})")
    for check in summary["exactness"]:
        print(f"facts exact {check['when']}: {'yes' if check['exact'] else 'NO'} "
              f"({check['differing_cells']} of {check['fact_cells']:,} cells differ)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=80000,
                        help="demo tasks to load (a healthy team keeps about 2.5 % of them In Progress or On Hold)")
    parser.add_argument("--open-tasks", type=int, default=1600,
                        help="tasks In Progress or On Hold to change, split between the sides")
    parser.add_argument("--duration", type=int, default=20, help="seconds per round and side")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if args.rounds < 1 or args.open_tasks < 2 * WRK_THREADS * args.connections:
        raise SystemExit("need at least one round, and enough tasks that no task is changed twice at once")

    name = f"wm_bench_writes_{secrets.token_hex(4)}"
    url = databases.create_database(databases.ADMIN_URL, name)
    try:
        load(url, args.tasks)
        with tempfile.TemporaryDirectory(prefix="status-writes-") as scratch:
            summary = run(args, url, Path(scratch))
    finally:
        databases.drop_database(databases.ADMIN_URL, name)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "status_writes.json").write_text(json.dumps(summary, indent=2))
    report(summary)
    failures = []
    if summary["non_2xx"]:
        failures.append(f"{summary['non_2xx']} responses were not 2xx")
    if summary["socket_errors"]:
        failures.append(f"{summary['socket_errors']} socket errors")
    failures += [f"the facts were not exact {check['when']}" for check in summary["exactness"] if not check["exact"]]
    if failures:
        raise SystemExit("FAILED: " + "; ".join(failures))


if __name__ == "__main__":
    main()
