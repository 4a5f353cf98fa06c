"""Auto-assignment: round robin in turn, least loaded by the workload report's measure, away people skipped (and
back after their return moment), off does nothing, tasks returned to the queue given out again, the reason in
the history and the notice, and concurrent creations on PostgreSQL never given the same slot twice."""
import threading
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from db import session
from db.models import AssignmentRule, ChangeType, Notification, Priority, Role, TaskHistory, TaskStatus, User
from db.types import utcnow
from domain.assignment import LEAST_LOADED, OFF, ROUND_ROBIN, is_away
from domain.errors import ValidationFailed
from domain.filters import TaskFilters
from reports import facts, workload
from tests.conftest import BACKEND, PASSWORD
from workflow import assignment, tasks, users


@pytest.fixture
def team(ctx, make_user):
    """A department of its own: a manager who sets the rules and creates work, and three Agents a < b < c by username."""
    department = f"Desk {uuid.uuid4().hex[:8]}"
    tag = uuid.uuid4().hex[:6]
    agents = [make_user(Role.AGENT, department=department, username=f"{letter}_{tag}", full_name=f"Agent {letter.upper()}")
              for letter in "abc"]
    manager = make_user(Role.MANAGER, department=department)
    return department, manager, agents


def _set(manager, department, mode):
    assignment.set_rules(actor=manager, rules_by_department={department: mode})


def _new(creator, **fields):
    return tasks.create_task(actor=creator, title=fields.pop("title", "Printer jam"), **fields)


def _assignments(task_id):
    return [(row.old_value, row.new_value) for row in session.scalars(
        select(TaskHistory).where(TaskHistory.task_id == task_id, TaskHistory.change_type == ChangeType.ASSIGNMENT)
        .order_by(TaskHistory.changed_at, TaskHistory.id))]


def test_round_robin_gives_each_available_agent_a_task_in_turn(team):
    department, manager, agents = team
    _set(manager, department, ROUND_ROBIN)
    made = [_new(manager) for _ in range(7)]
    order = [agent.id for agent in agents]
    assert [task.assigned_to for task in made] == (order * 3)[:7]
    # One version per creation, the Creation row (unassigned) then the automatic Assignment row with its reason.
    first = made[0]
    assert first.version == 1
    history = session.scalars(select(TaskHistory).where(TaskHistory.task_id == first.id)
                              .order_by(TaskHistory.changed_at, TaskHistory.id)).all()
    assert [row.change_type for row in history] == [ChangeType.CREATION, ChangeType.ASSIGNMENT]
    assert history[0].new_value["assigned_to"] is None
    assert history[1].new_value == {"assigned_to": str(agents[0].id), "reason": "round robin"}
    assert history[1].changed_by == manager.id
    assert session.get(AssignmentRule, department).turns == 7


def test_only_active_agents_of_the_department_take_turns(team, make_user):
    department, manager, agents = team
    make_user(Role.MANAGER, department=department)
    make_user(Role.VIEWER, department=department)
    make_user(Role.AGENT, department="Elsewhere")
    admin = make_user(Role.ADMIN)
    users.update_user(actor=admin, user_id=agents[1].id, changes={"is_active": False})
    _set(manager, department, ROUND_ROBIN)
    assert [_new(manager).assigned_to for _ in range(4)] == [agents[0].id, agents[2].id, agents[0].id, agents[2].id]


def test_the_turn_goes_on_from_the_last_one_given_work_when_people_come_and_go(team, make_user):
    department, manager, agents = team
    _set(manager, department, ROUND_ROBIN)
    assert _new(manager).assigned_to == agents[0].id
    assert _new(manager).assigned_to == agents[1].id
    # b goes away: the next after b in username order is c, then a.
    users.update_user(actor=agents[1], user_id=agents[1].id, changes={"away": True})
    assert [_new(manager).assigned_to for _ in range(3)] == [agents[2].id, agents[0].id, agents[2].id]


def test_least_loaded_weighs_open_work_by_priority_as_the_workload_report_does(team, make_user):
    department, manager, (a, b, c) = team
    # a: one Critical (5); b: two Medium (4); c: one Low and one Medium (3), plus closed and deleted work that counts not.
    for holder, priority in ((a, Priority.CRITICAL), (b, Priority.MEDIUM), (b, Priority.MEDIUM), (c, Priority.LOW),
                             (c, Priority.MEDIUM)):
        _new(manager, priority=priority, assigned_to=holder.id)
    done = _new(manager, priority=Priority.CRITICAL, assigned_to=c.id)
    tasks.change_status(actor=manager, task_id=done.id, status=TaskStatus.CANCELLED)
    gone = _new(manager, priority=Priority.CRITICAL, assigned_to=c.id)
    tasks.delete_task(actor=manager, task_id=gone.id)

    loads = workload.open_loads(user_ids=[a.id, b.id, c.id])
    report = workload.open_by_assignee(filters=TaskFilters(department=department))
    assert {row.assigned_to: row.weighted_load for row in report.itertuples()} == {
        person: load for person, (_, load) in loads.items()}
    assert loads == {a.id: (1, 5), b.id: (2, 4), c.id: (2, 3)}

    _set(manager, department, LEAST_LOADED)
    first = _new(manager, priority=Priority.HIGH)
    assert first.assigned_to == c.id
    assert _assignments(first.id)[-1][1]["reason"] == "least loaded: 2 open, weighted load 3"
    # c now weighs 6; b (4) is the least loaded.
    assert _new(manager, priority=Priority.LOW).assigned_to == b.id
    # a 5, b 5, c 6: equal weights go to the one with fewer open tasks (a: 1).
    assert _new(manager).assigned_to == a.id


def test_least_loaded_ties_go_to_whoevers_turn_it_is(team):
    department, manager, agents = team
    _set(manager, department, LEAST_LOADED)
    # Equal loads after every third task: the three take turns, each pick going to the next in username order.
    assert [_new(manager, priority=Priority.LOW).assigned_to for _ in range(6)] == [agent.id for agent in agents] * 2
    assert _assignments(_new(manager).id)[-1][1]["reason"] == "least loaded: 2 open, weighted load 2"


def test_away_people_are_skipped_and_count_as_back_after_their_return_moment(team):
    department, manager, (a, b, c) = team
    _set(manager, department, ROUND_ROBIN)
    back_at = utcnow() + timedelta(hours=2)
    users.update_user(actor=a, user_id=a.id, changes={"away": True, "away_until": back_at})
    users.update_user(actor=c, user_id=c.id, changes={"away": True})
    assert is_away(session.get(User, a.id), utcnow()) and not is_away(session.get(User, a.id), back_at)
    assert [_new(manager).assigned_to for _ in range(2)] == [b.id, b.id]
    # Time passes: past the return moment a counts again, though nobody cleared the flag; c is away until they say.
    session.get(User, a.id).away_until = utcnow() - timedelta(minutes=1)
    session.commit()
    assert session.get(User, a.id).away is True
    assert [_new(manager).assigned_to for _ in range(3)] == [a.id, b.id, a.id]
    users.update_user(actor=c, user_id=c.id, changes={"away": False})
    assert _new(manager).assigned_to == b.id
    assert _new(manager).assigned_to == c.id


def test_a_return_moment_is_for_someone_away_and_lies_ahead(team):
    _, _, (a, _, _) = team
    with pytest.raises(ValidationFailed):
        users.update_user(actor=a, user_id=a.id, changes={"away": True, "away_until": utcnow() - timedelta(hours=1)})
    with pytest.raises(ValidationFailed):
        users.update_user(actor=a, user_id=a.id, changes={"away_until": utcnow() + timedelta(hours=1)})
    users.update_user(actor=a, user_id=a.id, changes={"away": True, "away_until": utcnow() + timedelta(hours=1)})
    # Back: the moment goes with the flag.
    back = users.update_user(actor=a, user_id=a.id, changes={"away": False})
    assert (back.away, back.away_until) == (False, None)


def test_off_and_no_rule_leave_new_tasks_in_the_queue(team):
    department, manager, _ = team
    task = _new(manager)
    assert task.assigned_to is None and _assignments(task.id) == []
    _set(manager, department, ROUND_ROBIN)
    _set(manager, department, OFF)
    task = _new(manager)
    assert task.assigned_to is None and _assignments(task.id) == []


def test_a_task_created_with_an_assignee_keeps_it(team):
    department, manager, (a, b, c) = team
    _set(manager, department, ROUND_ROBIN)
    assert _new(manager, assigned_to=c.id).assigned_to == c.id
    assert _new(a, assigned_to=a.id).assigned_to == a.id
    # Nor did they use up a turn.
    assert _new(manager).assigned_to == a.id


def test_a_new_task_belongs_to_its_creators_department(team, make_user):
    department, manager, agents = team
    _set(manager, department, ROUND_ROBIN)
    outsider = make_user(Role.MANAGER, department="Elsewhere")
    nobody = make_user(Role.MANAGER, department=None)
    assert _new(outsider).assigned_to is None
    assert _new(nobody).assigned_to is None
    # An Agent creating unassigned work in a round-robin department may be given it themself: it is their turn.
    assert _new(agents[0]).assigned_to == agents[0].id


def test_a_task_returned_to_the_queue_goes_to_someone_else_at_once(team):
    department, manager, (a, b, c) = team
    task = _new(manager, assigned_to=a.id)
    _set(manager, department, ROUND_ROBIN)
    returned = tasks.update_task(actor=a, task_id=task.id, changes={"assigned_to": None}, expected_version=1)
    assert returned.assigned_to == b.id
    assert returned.version == 2  # one change, one version
    assert _assignments(task.id) == [
        ({"assigned_to": str(a.id)}, {"assigned_to": None}),
        ({"assigned_to": None}, {"assigned_to": str(b.id), "reason": "round robin"}),
    ]
    # A manager taking it off b: it goes on, never back to b.
    again = tasks.update_task(actor=manager, task_id=task.id, changes={"assigned_to": None})
    assert again.assigned_to == c.id


def test_a_returned_task_stays_in_the_queue_when_only_its_holder_could_take_it(team, make_user):
    department, manager, (a, b, c) = team
    _set(manager, department, ROUND_ROBIN)
    for person in (b, c):
        users.update_user(actor=person, user_id=person.id, changes={"away": True})
    task = _new(manager, assigned_to=a.id)
    assert tasks.update_task(actor=a, task_id=task.id, changes={"assigned_to": None}).assigned_to is None


def test_a_task_closed_as_it_is_unassigned_stays_unassigned(team):
    department, manager, (a, _, _) = team
    _set(manager, department, ROUND_ROBIN)
    task = _new(manager, assigned_to=a.id)
    closed = tasks.update_task(actor=manager, task_id=task.id,
                               changes={"assigned_to": None, "status": TaskStatus.CANCELLED})
    assert closed.assigned_to is None


def test_nobody_available_leaves_the_task_unassigned_without_an_error(team):
    department, manager, agents = team
    _set(manager, department, LEAST_LOADED)
    for agent in agents:
        users.update_user(actor=agent, user_id=agent.id, changes={"away": True})
    task = _new(manager)
    assert task.assigned_to is None and _assignments(task.id) == []
    empty = f"Empty {uuid.uuid4().hex[:6]}"
    assignment.set_rules(actor=manager, rules_by_department={empty: ROUND_ROBIN})
    assert assignment.pick(department=empty, now=utcnow()) is None


def test_the_assignee_is_told_why(team):
    department, manager, (a, _, _) = team
    _set(manager, department, ROUND_ROBIN)
    task = _new(manager, title="Toner low")
    notice = session.scalars(select(Notification).where(Notification.user_id == a.id,
                                                        Notification.related_task_id == task.id)).one()
    assert notice.content == "'Toner low' was assigned to you automatically (round robin)"


def test_the_facts_count_automatic_assignments_exactly(team):
    department, manager, (a, _, _) = team
    _set(manager, department, LEAST_LOADED)
    made = [_new(manager, priority=priority) for priority in Priority]
    tasks.update_task(actor=manager, task_id=made[0].id, changes={"assigned_to": None})
    assert facts.stored() == facts.derived()


def test_rules_are_set_by_managers_and_admins_and_audited(team, make_user):
    from db.models import AuditEvent
    from domain.errors import Forbidden

    department, manager, (a, _, _) = team
    with pytest.raises(Forbidden):
        assignment.set_rules(actor=a, rules_by_department={department: ROUND_ROBIN})
    with pytest.raises(ValidationFailed) as refused:
        assignment.set_rules(actor=manager, rules_by_department={department: "lottery", " ": OFF})
    assert [item["field"] for item in refused.value.details] == [department, " "]
    _set(manager, department, ROUND_ROBIN)
    _set(manager, department, ROUND_ROBIN)  # no change, no audit row
    _set(make_user(Role.ADMIN), department, LEAST_LOADED)
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "assignment.rules_changed",
                                                      AuditEvent.target_id == department)
                           .order_by(AuditEvent.at, AuditEvent.id)).all()
    assert [(e.before, e.after) for e in events] == [({"mode": "off"}, {"mode": "round_robin"}),
                                                     ({"mode": "round_robin"}, {"mode": "least_loaded"})]
    mine = next(rule for rule in assignment.list_rules() if rule.department == department)
    assert mine.mode == LEAST_LOADED


def test_the_overview_shows_each_departments_agents_who_is_away_and_their_load(team):
    department, manager, (a, b, c) = team
    _set(manager, department, ROUND_ROBIN)
    _new(manager, priority=Priority.HIGH)  # to a
    users.update_user(actor=c, user_id=c.id, changes={"away": True})
    view = next(rule for rule in assignment.overview(actor=manager) if rule.department == department)
    assert view.mode == ROUND_ROBIN
    rows = {agent.user_id: agent for agent in view.agents}
    assert (rows[a.id].open, rows[a.id].weighted_load, rows[a.id].away) == (1, 3, False)
    assert rows[c.id].away and rows[b.id].next_in_turn and not rows[a.id].next_in_turn


# --- concurrent creations (PostgreSQL: real concurrent writers) ---------------------------------------------

THREADS = 20


@pytest.mark.live
@pytest.mark.skipif(BACKEND != "postgresql", reason="concurrent writers: PostgreSQL (SQLite has one writer)")
@pytest.mark.parametrize("agents_count", [4, 5])
def test_concurrent_creations_never_get_the_same_round_robin_slot(live_server, agents_count):
    """20 creations at once from threads, each with its own session: every Agent gets exactly 20/N."""
    app = live_server.app
    department = f"Race {uuid.uuid4().hex[:8]}"
    with app.app_context():
        make = lambda role, name: users.create_user(  # noqa: E731
            actor=None, username=f"{name}_{uuid.uuid4().hex[:6]}", email=f"{uuid.uuid4().hex[:10]}@example.com",
            full_name=name, role=role, password=PASSWORD, department=department)
        agents = [make(Role.AGENT, f"agent{n}") for n in range(agents_count)]
        manager = make(Role.MANAGER, "manager")
        assignment.set_rules(actor=manager, rules_by_department={department: ROUND_ROBIN})
        session.remove()
    barrier = threading.Barrier(THREADS)
    given, errors = [], []

    def create(n: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                given.append(tasks.create_task(actor=manager, title=f"race {n}").assigned_to)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(repr(exc))
            finally:
                session.remove()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Counter(given) == {agent.id: THREADS // agents_count for agent in agents}
    with app.app_context():
        assert session.get(AssignmentRule, department).turns == THREADS
        session.remove()


@pytest.mark.live
@pytest.mark.skipif(BACKEND != "postgresql", reason="concurrent writers: PostgreSQL (SQLite has one writer)")
def test_concurrent_picks_take_turns_on_the_rules_row_alone(live_server):
    """Without a task (whose creation also waits on the status counters), the rule's row lock alone orders the
    picks: each holds its turn a while before committing, and still no slot is given twice."""
    import time

    app = live_server.app
    department = f"Picks {uuid.uuid4().hex[:8]}"
    with app.app_context():
        people = [users.create_user(actor=None, username=f"pick{n}_{uuid.uuid4().hex[:6]}",
                                    email=f"{uuid.uuid4().hex[:10]}@example.com", full_name=f"Pick {n}",
                                    role=Role.AGENT if n else Role.MANAGER, password=PASSWORD, department=department)
                  for n in range(5)]
        assignment.set_rules(actor=people[0], rules_by_department={department: ROUND_ROBIN})
        session.remove()
    barrier = threading.Barrier(THREADS)
    given, errors = [], []

    def take_a_turn() -> None:
        with app.app_context():
            try:
                barrier.wait()
                chosen = assignment.pick(department=department, now=utcnow())
                time.sleep(0.02)  # the turn is held until the commit
                session.commit()
                given.append(chosen.user_id)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(repr(exc))
            finally:
                session.remove()

    threads = [threading.Thread(target=take_a_turn) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Counter(given) == {agent.id: THREADS // 4 for agent in people[1:]}
