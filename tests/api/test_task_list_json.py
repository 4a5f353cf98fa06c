"""GET /api/tasks writes its rows to JSON without validating each through TaskOut: the document must be
the one TaskOut gives for the same rows, for every kind of value and every caller."""
import json
import uuid
from datetime import datetime, timedelta, timezone
from itertools import product

import pytest

from api.schemas import PageOut, TaskOut
from api.tasks import PageTransitions, task_page_json
from auth.tokens import Credential
from db.models import Priority, Role, Task, TaskStatus, User
from domain import rules
from domain.filters import TaskFilters
from workflow import cases, tasks

S = TaskStatus


def schema_page_json(page, caller) -> bytes:
    """The page as the documented schema gives it: TaskOut per row, the rules asked per row."""
    items = []
    for row in page.items:
        out = TaskOut.model_validate(row._asdict())
        out.allowed_transitions = rules.allowed_targets(caller, row)
        items.append(out)
    return PageOut[TaskOut](items=items, next_cursor=page.next_cursor).model_dump_json(by_alias=True).encode()


@pytest.fixture
def varied_tasks(app, people, make_task):
    """Tasks with every kind of value: each status, assigned to the caller, to someone else and to nobody,
    created by the caller and by someone else, tags or none, a case or none, a due date (whole seconds,
    microseconds) or none, text that JSON must escape."""
    agent, other, manager = people["agent"], people["other_agent"], people["manager"]
    with app.app_context():
        case = cases.create_case(actor=manager, title="Printer fleet")
    later = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=3)
    specs = [
        (agent, dict(assigned_to=agent.id, tags=["billing", "vip"], due_date=later, case_id=case.id,
                     title='Quote " backslash \\ tab\t newline\n', description="Ünïcödé ✓ \u2028 \x01 end"), S.NEW),
        (agent, dict(priority=Priority.CRITICAL), S.IN_PROGRESS),
        (manager, dict(assigned_to=other.id, due_date=later + timedelta(microseconds=123456), tags=["x"]), S.ON_HOLD),
        (manager, dict(assigned_to=agent.id, priority=Priority.LOW, description=""), S.COMPLETED),
        (manager, dict(), S.CANCELLED),
        (other, dict(assigned_to=other.id, due_date=later + timedelta(hours=1)), S.NEW),
        (manager, dict(assigned_to=agent.id, case_id=case.id, priority=Priority.HIGH), S.IN_PROGRESS),
        (agent, dict(), S.COMPLETED),
    ]
    made = []
    for creator, fields, status in specs:
        task = make_task(creator, **fields)
        path = {S.NEW: [], S.IN_PROGRESS: [S.IN_PROGRESS], S.ON_HOLD: [S.ON_HOLD],
                S.COMPLETED: [S.IN_PROGRESS, S.COMPLETED], S.CANCELLED: [S.CANCELLED]}[status]
        with app.app_context():
            for step in path:
                task = tasks.change_status(actor=manager, task_id=task.id, status=step)
        made.append(task)
    return made


@pytest.mark.parametrize("role", ["admin", "manager", "agent", "other_agent", "viewer"])
@pytest.mark.parametrize("sort", [None, "due_date", "-priority"])
def test_fast_json_equals_the_schemas_for_the_same_rows(app, people, varied_tasks, role, sort):
    caller = people[role]
    credential = Credential(caller.id, caller.credential_version)
    with app.test_request_context():
        cursor, pages = None, 0
        while True:
            fast_page, checked = tasks.list_tasks_as(credential, filters=TaskFilters(), sort=sort, limit=3, cursor=cursor)
            page = tasks.list_tasks(filters=TaskFilters(), sort=sort, limit=3, cursor=cursor)
            assert checked.id == caller.id and checked.role == caller.role
            # Ids, status and priority come from the database as text: no uuid.UUID or enum member is made for them.
            assert all(type(row.id) is str and type(row.created_by) is str and type(row.status) is str
                       and type(row.priority) is str for row in fast_page.items)
            fast, documented = task_page_json(fast_page, checked), schema_page_json(page, caller)
            assert fast == documented
            assert json.loads(fast) == json.loads(documented)
            pages += 1
            cursor = page.next_cursor
            if cursor is None:
                break
    assert pages == 3


def test_the_page_covers_every_kind_of_value(app, people, varied_tasks):
    """The rows above hold what the comparison must see: each status, nulls, tags, the unassigned."""
    with app.test_request_context():
        rows = tasks.list_tasks(filters=TaskFilters(), sort=None, limit=50, cursor=None).items
    assert {row.status for row in rows} == set(S)
    assert {row.assigned_to is None for row in rows} == {True, False}
    assert {row.due_date is None for row in rows} == {True, False}
    assert {row.due_date.microsecond != 0 for row in rows if row.due_date} == {True, False}
    assert {row.case_id is None for row in rows} == {True, False}
    assert {bool(row.tags) for row in rows} == {True, False}


def test_the_endpoint_answers_what_the_schema_gives(client, app, people, varied_tasks, auth_headers):
    agent = people["agent"]
    response = client.get("/api/tasks?limit=5", headers=auth_headers(agent))
    assert response.status_code == 200 and response.mimetype == "application/json"
    with app.test_request_context():
        documented = schema_page_json(tasks.list_tasks(filters=TaskFilters(), sort=None, limit=5, cursor=None), agent)
    assert response.data == documented


def test_an_empty_page_is_the_schemas(app, people):
    with app.test_request_context():
        page, _ = tasks.list_tasks_as(Credential(people["viewer"].id, people["viewer"].credential_version),
                                      filters=TaskFilters(tag="nothing-has-this"), sort=None, limit=5, cursor=None)
        assert task_page_json(page, people["viewer"]) == schema_page_json(page, people["viewer"])


@pytest.mark.parametrize("role", list(Role))
def test_transitions_per_kind_of_task_are_the_rules_answer_for_each_task(role):
    caller = User(id=uuid.uuid4(), role=role)
    others = [uuid.uuid4(), uuid.uuid4()]
    transitions = PageTransitions(caller)
    for status, assignee, creator in product(S, [None, caller.id, *others], [caller.id, *others]):
        task = Task(status=status, assigned_to=assignee, created_by=creator)
        expected = [target.value for target in rules.allowed_targets(caller, task)]
        assert transitions(status, assignee, creator) == expected
        # Rows of the list carry the status and ids as text: the same answer.
        as_text = transitions(status.value, None if assignee is None else str(assignee), str(creator))
        assert as_text == expected


def test_a_list_statement_built_once_runs_with_each_requests_own_values(client, people, auth_headers, make_task):
    """The list's statements are built once per shape (filters set, sort) and run with bound values: the
    same shape asked again with other values, by another caller, answers for those."""
    agent, manager = people["agent"], people["manager"]
    make_task(agent, title="Alpha printer", tags=["hardware"], assigned_to=agent.id)
    make_task(manager, title="Beta report", tags=["finance"], priority=Priority.CRITICAL)

    def titles(query, user):
        response = client.get(f"/api/tasks?{query}", headers=auth_headers(user))
        assert response.status_code == 200, response.json
        return sorted(item["title"] for item in response.json["items"])

    for user in (agent, manager):
        assert titles("tag=hardware", user) == ["Alpha printer"]
        assert titles("tag=finance", user) == ["Beta report"]
        assert titles("q=ALPHA", user) == ["Alpha printer"]
        assert titles("q=beta", user) == ["Beta report"]
        assert titles("priority=Critical&sort=title", user) == ["Beta report"]
        assert titles("priority=Medium&sort=title", user) == ["Alpha printer"]
        assert titles(f"created_by={manager.id}", user) == ["Beta report"]
        assert titles(f"created_by={agent.id}", user) == ["Alpha printer"]
    assert titles("assigned_to=me", agent) == ["Alpha printer"]
    assert titles("assigned_to=me", manager) == []
