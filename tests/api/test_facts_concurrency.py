"""Racing changes that share fact rows (the same day, priority and assignee) lose no increment: after many
concurrent status changes over real HTTP, the kept facts equal a derivation from scratch."""
import threading
import uuid

import pytest
import requests

from tests.conftest import BACKEND, PASSWORD

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(BACKEND != "postgresql", reason="concurrent writers: PostgreSQL (SQLite has one writer)"),
]

THREADS = 8
TASKS_PER_THREAD = 3
PATH = ["In Progress", "On Hold", "In Progress", "Completed", "In Progress", "Completed"]


def test_concurrent_changes_keep_the_facts_exact(live_server):
    from db import session
    from db.models import Priority, Role
    from domain.filters import TaskFilters
    from reports import facts
    from workflow import tasks, users

    suffix = uuid.uuid4().hex[:6]
    with live_server.app.app_context():
        manager = users.create_user(actor=None, username=f"facts_manager_{suffix}", email=f"fm_{suffix}@example.com",
                                    full_name="Facts manager", role=Role.MANAGER, password=PASSWORD)
        agent = users.create_user(actor=None, username=f"facts_agent_{suffix}", email=f"fa_{suffix}@example.com",
                                  full_name="Facts agent", role=Role.AGENT, password=PASSWORD, department="Support")
        made = [tasks.create_task(actor=manager, title=f"race {n}", priority=Priority.HIGH, assigned_to=agent.id).id
                for n in range(THREADS * TASKS_PER_THREAD)]
        session.remove()
    token = requests.post(f"{live_server.url}/api/auth/login",
                          json={"username": manager.username, "password": PASSWORD}, timeout=10).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    barrier = threading.Barrier(THREADS)
    answers: list[int] = []

    def work(mine: list[uuid.UUID]) -> None:
        barrier.wait()
        with requests.Session() as client:
            for status in PATH:
                for task_id in mine:
                    response = client.patch(f"{live_server.url}/api/tasks/{task_id}/status", json={"status": status},
                                            headers=headers, timeout=60)
                    answers.append(response.status_code)

    threads = [threading.Thread(target=work, args=(made[n::THREADS],)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers.count(200) == len(made) * len(PATH), sorted(set(answers))
    with live_server.app.app_context():
        assert facts.stored() == facts.derived()
        # Every move of every task is in the agent's rows: creation plus the path, per task.
        entered = facts.counts(TaskFilters(assigned_to=agent.id), [facts.ENTERED], ())
        assert entered == [(len(made) * (1 + len(PATH)),)]
        session.remove()

