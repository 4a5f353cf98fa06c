"""What the SLA escalation check after a status change costs: `workflow.escalations.check_task` in process.

    DATABASE_URL=postgresql+psycopg2://postgres@127.0.0.1:5432/wm_bench .venv/bin/python bench/escalation_check.py

Two groups of In Progress tasks (`--tasks` each) of an existing database: those with the most SLA time left
(their kept due moment latest: no threshold near, what most changes meet) and those longest past their target.
Two passes over each, one call per task, timed from the call to its return. The first pass fires whatever step
is due (its rows, notices and history are written, as the sweep would), so run it on a benchmark database; the
second finds them fired and only checks: the cost a status change pays when nothing new is crossed. The reference, independent of the code under test: the same tasks'
row read by hand-written SQL on a bare psycopg2 connection (what a check needs at least: the task's priority,
status and kept due moment). Prints each pass's median and p90, how many steps fired, and median ÷ reference.
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg2  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app import create_app  # noqa: E402


def _reference(task_ids) -> list[float]:
    """Each task's priority, status and due moment by hand-written SQL, timed one by one (ms)."""
    url = make_url(os.environ["DATABASE_URL"])
    connection = psycopg2.connect(host=url.host, port=url.port or 5432, user=url.username, password=url.password,
                                  dbname=url.database)
    connection.autocommit = True
    times = []
    with connection.cursor() as cursor:
        for task_id in task_ids:
            started = time.perf_counter()
            cursor.execute("SELECT priority, status, sla_due_s FROM tasks WHERE id = %s", (str(task_id),))
            cursor.fetchone()
            times.append((time.perf_counter() - started) * 1000)
    connection.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=200)
    options = parser.parse_args()
    app = create_app()
    with app.app_context():
        from sqlalchemy import select

        from db import session
        from db.models import Task, TaskStatus
        from workflow import escalations

        running = select(Task.id).where(Task.status == TaskStatus.IN_PROGRESS, Task.deleted_at.is_(None),
                                        Task.sla_due_s.is_not(None)).limit(options.tasks)
        groups = {"time left": list(session.scalars(running.order_by(Task.sla_due_s.desc()))),
                  "past the target": list(session.scalars(running.order_by(Task.sla_due_s)))}
        session.commit()
        reference = statistics.median(_reference([task_id for ids in groups.values() for task_id in ids]))
        print(f"reference (the task's row by hand-written SQL): median {reference:.3f} ms")
        for group, task_ids in groups.items():
            for name in ("first pass", "second pass"):
                times, fired = [], 0
                for task_id in task_ids:
                    started = time.perf_counter()
                    fired += len(escalations.check_task(task_id=task_id))
                    times.append((time.perf_counter() - started) * 1000)
                times.sort()
                median = statistics.median(times)
                print(f"{group}, {name}: {len(task_ids)} tasks, {fired} steps fired; median {median:.2f} ms, "
                      f"p90 {times[int(len(times) * 0.9)]:.2f} ms; median ÷ reference {median / reference:.0f}")


if __name__ == "__main__":
    main()
