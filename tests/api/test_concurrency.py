"""Two clients race to update the same task with the same version over real HTTP: one wins, nothing is lost."""
import threading
import uuid

import pytest
import requests

from domain.filters import TaskFilters
from tests.conftest import PASSWORD

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def racers(live_server):
    """An admin token and two agents' tokens on the live server's database."""
    from db.models import Role
    from workflow import users

    with live_server.app.app_context():
        suffix = uuid.uuid4().hex[:6]
        made = {
            role: users.create_user(
                actor=None, username=f"race_{role}_{suffix}", email=f"race_{role}_{suffix}@example.com",
                full_name=role, role=Role.MANAGER if role == "manager" else Role.AGENT, password=PASSWORD,
            )
            for role in ("manager", "agent_a", "agent_b")
        }
    tokens = {}
    for name, user in made.items():
        response = requests.post(
            f"{live_server.url}/api/auth/login", json={"username": user.username, "password": PASSWORD}, timeout=10
        )
        tokens[name] = {"Authorization": f"Bearer {response.json()['access_token']}"}
    return tokens


def _race(url, requests_to_send):
    """Send the requests at the same instant from separate threads; return the responses."""
    barrier = threading.Barrier(len(requests_to_send))
    results = [None] * len(requests_to_send)

    def send(index, method, headers, body):
        barrier.wait()
        results[index] = requests.request(method, url, headers=headers, json=body, timeout=30)

    threads = [threading.Thread(target=send, args=(i, *spec)) for i, spec in enumerate(requests_to_send)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _new_task(live_server, racers):
    response = requests.post(f"{live_server.url}/api/tasks", json={"title": "Contended"}, headers=racers["manager"], timeout=10)
    assert response.status_code == 201
    return response.json()["id"]


@pytest.mark.parametrize("round_", range(5))
def test_same_version_updates_one_wins_one_is_refused(live_server, racers, round_):
    task_id = _new_task(live_server, racers)
    url = f"{live_server.url}/api/tasks/{task_id}"
    manager = racers["manager"]
    responses = _race(
        url,
        [
            ("PUT", {**manager, "If-Match": '"1"'}, {"title": "Client A"}),
            ("PUT", {**manager, "If-Match": '"1"'}, {"title": "Client B"}),
        ],
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 412], [r.text for r in responses]
    winner = next(r for r in responses if r.status_code == 200).json()
    final = requests.get(url, headers=manager, timeout=10).json()
    assert final["title"] == winner["title"] and final["version"] == 2
    history = requests.get(f"{url}/history", headers=manager, timeout=10).json()["items"]
    assert [h["change_type"] for h in history] == ["Creation", "Edit"]
    assert history[1]["new_value"] == {"title": winner["title"]}


def test_two_agents_taking_the_same_unassigned_task(live_server, racers):
    task_id = _new_task(live_server, racers)
    url = f"{live_server.url}/api/tasks/{task_id}"
    agent_ids = {}
    for name in ("agent_a", "agent_b"):
        me = requests.get(f"{live_server.url}/api/users?q=race_{name}", headers=racers[name], timeout=10).json()
        agent_ids[name] = me["items"][0]["id"]
    responses = _race(
        url,
        [
            ("PUT", racers["agent_a"], {"assigned_to": agent_ids["agent_a"], "version": 1}),
            ("PUT", racers["agent_b"], {"assigned_to": agent_ids["agent_b"], "version": 1}),
        ],
    )
    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    final = requests.get(url, headers=racers["manager"], timeout=10).json()
    winner = next(r for r in responses if r.status_code == 200).json()
    assert final["assigned_to"] == winner["assigned_to"]
    history = requests.get(f"{url}/history", headers=racers["manager"], timeout=10).json()["items"]
    assert [h["change_type"] for h in history] == ["Creation", "Assignment"]


def test_racing_status_changes_without_version_never_both_apply(live_server, racers):
    """Without a version the row lock still serialises them: exactly one Status Change row per success."""
    task_id = _new_task(live_server, racers)
    url = f"{live_server.url}/api/tasks/{task_id}/status"
    manager = racers["manager"]
    responses = _race(url, [("PATCH", manager, {"status": "In Progress"}), ("PATCH", manager, {"status": "Cancelled"})])
    ok = [r for r in responses if r.status_code == 200]
    assert len(ok) >= 1 and all(r.status_code in (200, 409) for r in responses), [r.text for r in responses]
    history = requests.get(f"{live_server.url}/api/tasks/{task_id}/history", headers=manager, timeout=10).json()["items"]
    moves = [h for h in history if h["change_type"] == "Status Change"]
    assert len(moves) == len(ok)
    # Each recorded move starts where the previous one ended: no lost update.
    state = "New"
    for move in moves:
        assert move["old_value"]["status"] == state
        state = move["new_value"]["status"]
    final = requests.get(f"{live_server.url}/api/tasks/{task_id}", headers=manager, timeout=10).json()
    assert final["status"] == state


def test_opposite_moves_at_once_neither_deadlock_nor_miscount(live_server, racers):
    """Two tasks swap In Progress and On Hold at the same instant: both counters rows change in both."""
    from workflow import tasks

    manager = racers["manager"]
    first, second = _new_task(live_server, racers), _new_task(live_server, racers)
    for task_id, status in ((first, "In Progress"), (second, "On Hold")):
        moved = requests.patch(f"{live_server.url}/api/tasks/{task_id}/status", json={"status": status}, headers=manager, timeout=10)
        assert moved.status_code == 200
    states = {first: "In Progress", second: "On Hold"}
    for _round in range(10):
        targets = {task_id: ("On Hold" if state == "In Progress" else "In Progress") for task_id, state in states.items()}
        barrier = threading.Barrier(2)
        results = {}

        def move(task_id):
            barrier.wait()
            results[task_id] = requests.patch(
                f"{live_server.url}/api/tasks/{task_id}/status", json={"status": targets[task_id]}, headers=manager, timeout=30
            )

        threads = [threading.Thread(target=move, args=(task_id,)) for task_id in states]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert all(r.status_code == 200 for r in results.values()), [r.text for r in results.values()]
        states = targets
    with live_server.app.app_context():
        assert tasks.status_counts(filters=TaskFilters()) == tasks.status_counts(filters=TaskFilters(q=""))
