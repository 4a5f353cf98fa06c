"""Benchmark the cost of auto-assignment per task creation: `workflow.tasks.create_task` of an unassigned task in
a department whose rule is round robin, or least loaded, against the same creation with the rule off (and, for
scale, a creation assigned by hand).

A fresh PostgreSQL database (created here, free of other data, dropped at the end even on failure) gets
`--agents` Agents and one Manager in one department, and `--open-tasks` open tasks spread over the Agents at
random priorities (inserted in SQL: they are the load least loaded reads, not what is measured). Then, in
process, the Manager creates tasks through the workflow layer, each timed from the call to its commit. The
cases alternate in blocks (`--block` creations each: off, round robin, least loaded, by hand, off, ...) for
`--rounds` rounds, so drift on a shared machine falls on every case alike; the rule is switched between blocks
through `workflow.assignment.set_rules`. The result is each case's median and mean, and the ratio of each
median to the median with the rule off (what a creation costs more) and to the one assigned by hand (what
choosing costs, the assignment's own writes and notice being the same). The reference, independent of the code
under test, runs in the same rounds: a least-loaded creation by hand-written SQL on a bare psycopg2 connection
(one aggregate of the Agents' weighted open work, the task's INSERT and its creation history row, one commit).

    .venv/bin/python bench/auto_assignment.py --agents 50 --open-tasks 10000 --block 50 --rounds 6

Writes bench/results/auto_assignment.json and prints a markdown table. PostgreSQL is reached as
BENCH_POSTGRES_URL (default postgresql+psycopg2://postgres@127.0.0.1:5432/postgres).
"""
import argparse
import json
import os
import secrets
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import databases  # noqa: E402

RESULTS = ROOT / "bench/results"
DEPARTMENT = "Service desk"
CASES = ("off", "round_robin", "least_loaded", "by hand")
REFERENCE = "reference (SQL)"
#: The reference's least-loaded creation, in one transaction: the same weights as the workload report's.
REFERENCE_SQL = """
WITH chosen AS (
    SELECT agent FROM unnest(CAST(%(agents)s AS uuid[])) AS agent
    LEFT JOIN tasks ON tasks.assigned_to = agent AND tasks.deleted_at IS NULL
                   AND tasks.status IN ('New', 'In Progress', 'On Hold')
    GROUP BY agent
    ORDER BY coalesce(sum(CASE tasks.priority WHEN 'Low' THEN 1 WHEN 'Medium' THEN 2 WHEN 'High' THEN 3 ELSE 5 END), 0),
             count(tasks.id), agent
    LIMIT 1
), task AS (
    INSERT INTO tasks (id, title, description, status, priority, assigned_to, created_by, created_at, updated_at,
                       tags, version, status_since, sla_clock_s, sla_work_clock_s)
    SELECT gen_random_uuid(), %(title)s, '', 'New', 'Medium', agent, %(manager)s, now(), now(), '{}', 1, now(), 0, 0
    FROM chosen
    RETURNING id, created_by
)
INSERT INTO task_history (id, task_id, changed_by, change_type, old_value, new_value, changed_at)
SELECT gen_random_uuid(), id, created_by, 'Creation', NULL, '{}'::jsonb, now() FROM task
"""


def make_app(url: str):
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))
    from app import create_app

    return create_app({"DATABASE_URL": url, "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024,
                       "EMBEDDED_BACKGROUND": False})


def load(app, agents: int, open_tasks: int) -> tuple:
    """The department's Agents and Manager, and `open_tasks` open tasks spread over the Agents (SQL)."""
    from sqlalchemy import text

    from db import session
    from db.models import Role
    from workflow import users

    with app.app_context():
        people = [users.create_user(actor=None, username=f"agent{n:03d}", email=f"agent{n:03d}@example.com",
                                    full_name=f"Agent {n:03d}", role=Role.AGENT, password="benchmark-password",
                                    department=DEPARTMENT) for n in range(agents)]
        manager = users.create_user(actor=None, username="manager", email="manager@example.com", full_name="Manager",
                                    role=Role.MANAGER, password="benchmark-password", department=DEPARTMENT)
        session.execute(text("""
            INSERT INTO tasks (id, title, description, status, priority, assigned_to, created_by, created_at,
                               updated_at, tags, version, status_since, sla_clock_s, sla_work_clock_s)
            SELECT gen_random_uuid(), 'Open task ' || n, '',
                   (ARRAY['New', 'In Progress', 'On Hold'])[1 + n % 3]::task_status,
                   (ARRAY['Low', 'Medium', 'High', 'Critical'])[1 + (n * 7919) % 4]::task_priority,
                   (CAST(:agents AS uuid[]))[1 + (n * 104729) % :count], CAST(:manager AS uuid),
                   now() - n * interval '1 minute', now(), '{}'::text[], 1, now(), 0, 0
            FROM generate_series(1, :open_tasks) AS n
        """), {"agents": [str(person.id) for person in people], "count": agents, "manager": str(manager.id),
               "open_tasks": open_tasks})
        session.commit()
        session.remove()
    connection = databases.connect(app.config["DATABASE_URL"])
    try:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # as autovacuum leaves a table: statistics, visibility map
    finally:
        connection.close()
    return people, manager


def measure(app, people, manager, block: int, rounds: int) -> dict:
    """Per case, the seconds of each creation (call to commit)."""
    from db import session
    from workflow import assignment, tasks

    times = {case: [] for case in (*CASES, REFERENCE)}
    given = {case: 0 for case in CASES}
    connection = databases.connect(app.config["DATABASE_URL"])
    connection.autocommit = False
    reference = {"agents": [str(person.id) for person in people], "manager": str(manager.id)}
    with app.app_context():
        # Warm-up: a block of each, untimed (statement caches, connections).
        for case in CASES:
            _run(assignment, tasks, session, manager, people, case, block, [], given)
        given = {case: 0 for case in CASES}
        _reference(connection, reference, block, [])
        for _ in range(rounds):
            for case in CASES:
                _run(assignment, tasks, session, manager, people, case, block, times[case], given)
            _reference(connection, reference, block, times[REFERENCE])
        session.remove()
    connection.close()
    return {"seconds": times, "assigned": given}


def _reference(connection, values: dict, block: int, into: list) -> None:
    """`block` least-loaded creations by hand-written SQL, each timed to its commit."""
    with connection.cursor() as cursor:
        for n in range(block):
            started = time.perf_counter()
            cursor.execute(REFERENCE_SQL, {**values, "title": f"Reference {n}"})
            connection.commit()
            into.append(time.perf_counter() - started)


def _run(assignment, tasks, session, manager, people, case, block, into, given) -> None:
    mode = "off" if case == "by hand" else case
    assignment.set_rules(actor=manager, rules_by_department={DEPARTMENT: mode})
    for n in range(block):
        assignee = people[n % len(people)].id if case == "by hand" else None
        started = time.perf_counter()
        task = tasks.create_task(actor=manager, title=f"Bench {case} {n}", assigned_to=assignee)
        into.append(time.perf_counter() - started)
        given[case] += task.assigned_to is not None
        session.remove()


def summarise(result: dict) -> list[dict]:
    off = statistics.median(result["seconds"]["off"])
    by_hand = statistics.median(result["seconds"]["by hand"])
    reference = statistics.median(result["seconds"][REFERENCE])
    rows = []
    for case in (*CASES, REFERENCE):
        values = result["seconds"][case]
        median = statistics.median(values)
        rows.append({"case": case, "creations": len(values), "assigned": result["assigned"].get(case, len(values)),
                     "median_ms": round(median * 1000, 3), "mean_ms": round(statistics.fmean(values) * 1000, 3),
                     "p90_ms": round(statistics.quantiles(values, n=10)[-1] * 1000, 3),
                     "ratio_to_off": round(median / off, 3), "ratio_to_by_hand": round(median / by_hand, 3),
                     "ratio_to_reference": round(median / reference, 3)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--open-tasks", type=int, default=10_000)
    parser.add_argument("--block", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()

    name = f"wm_bench_assign_{uuid.uuid4().hex[:8]}"
    url = databases.create_database(databases.ADMIN_URL, name)
    try:
        from db.migrate import upgrade

        upgrade(url)
        app = make_app(url)
        people, manager = load(app, args.agents, args.open_tasks)
        result = measure(app, people, manager, args.block, args.rounds)
        app.extensions["db_engine"].dispose()
    finally:
        databases.drop_database(databases.ADMIN_URL, name)
    rows = summarise(result)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "auto_assignment.json").write_text(json.dumps(
        {"agents": args.agents, "open_tasks": args.open_tasks, "block": args.block, "rounds": args.rounds,
         "cases": rows, "seconds": result["seconds"]}, indent=1))
    print(f"\n{args.agents} Agents, {args.open_tasks:,} open tasks; {args.rounds} rounds of {args.block} creations per case\n")
    print("| case | creations | assigned | median | mean | p90 | median ÷ off | median ÷ by hand | median ÷ reference |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['case']} | {row['creations']} | {row['assigned']} | {row['median_ms']:.2f} ms | "
              f"{row['mean_ms']:.2f} ms | {row['p90_ms']:.2f} ms | {row['ratio_to_off']:.2f} | {row['ratio_to_by_hand']:.2f} | "
              f"{row['ratio_to_reference']:.2f} |")


if __name__ == "__main__":
    main()
