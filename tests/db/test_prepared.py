"""Prepared statements on the write path: the same answers as the plain statement, one value sent per run."""
import uuid
from datetime import date

import pytest
from sqlalchemy import bindparam, literal, select, text

from db import prepared, session
from db.models import Priority, ReportFact, Role, Task
from reports import facts, sla
from tests.conftest import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="statements are prepared on PostgreSQL only")


def _in_order(row: dict) -> tuple:
    return tuple(str(row[name]) for name in sorted(row))


def _prepared_text(name: str) -> str:
    return session.scalar(text("SELECT statement FROM pg_prepared_statements WHERE name = :name"), {"name": name})


def test_the_events_read_sends_only_the_task_id_and_answers_as_the_plain_statement(ctx, make_user, make_task):
    manager = make_user(Role.MANAGER)
    task = make_task(manager, priority=Priority.HIGH, assigned_to=manager.id)
    statement = facts._events_of_task()

    got = prepared.rows(session.connection(), "events_under_test", statement, {"task_id": task.id})

    plain = [dict(row) for row in session.execute(facts.event_rows([task.id])).mappings()]
    assert sorted(got, key=_in_order) == sorted(plain, key=_in_order) and got
    assert isinstance(got[0]["assignee_id"], uuid.UUID) and isinstance(got[0]["day"], date)
    # The codes and defaults are written into the text; the task's id is its only parameter.
    written = _prepared_text("events_under_test")
    assert "$1" in written and "$2" not in written and "'High'" in written


def test_a_new_length_of_an_expanding_list_prepares_again(ctx, make_user, make_task):
    manager = make_user(Role.MANAGER)
    first, second = make_task(manager).id, make_task(manager).id
    statement = select(Task.id).where(Task.id.in_(bindparam("ids", expanding=True)), Task.title != literal("x"))
    connection = session.connection()

    one = prepared.execute(connection, "ids_under_test", statement, {"ids": [first]}).scalars().all()
    two = prepared.execute(connection, "ids_under_test", statement, {"ids": [first, second]}).scalars().all()
    again = prepared.execute(connection, "ids_under_test", statement, {"ids": [second]}).scalars().all()

    assert [str(one[0])] == [str(first)]
    assert sorted(map(str, two)) == sorted(map(str, [first, second]))
    assert [str(again[0])] == [str(second)]
    assert "$2" not in _prepared_text("ids_under_test") and "'x'" in _prepared_text("ids_under_test")


def test_the_due_update_prepared_sets_what_the_plain_one_sets(ctx, make_user, make_task):
    manager = make_user(Role.MANAGER)
    task = make_task(manager, priority=Priority.CRITICAL)
    session.execute(Task.__table__.update().where(Task.id == task.id).values(sla_due_s=None))
    prepared.execute(session.connection(), "due_under_test", *sla.due_update([task.id]))
    by_prepared = session.scalar(select(Task.sla_due_s).where(Task.id == task.id))
    session.execute(Task.__table__.update().where(Task.id == task.id).values(sla_due_s=None))
    session.execute(*sla.due_update([task.id]))
    assert by_prepared is not None and by_prepared == session.scalar(select(Task.sla_due_s).where(Task.id == task.id))


def test_the_facts_upsert_takes_assignee_ids_as_arrays(ctx):
    someone = uuid.uuid4()
    key = (facts.BY_ASSIGNEE, someone, facts.NO_DEPARTMENT, facts.ENTERED, date(2026, 1, 5), 1, 2, facts.NONE, 7)
    facts.add({key: 2})
    facts.add({key: 3, (facts.ALL, facts.NOBODY, facts.NO_DEPARTMENT, *key[3:]): 1})
    kept = session.execute(select(ReportFact.assignee_id, ReportFact.n)
                           .where(ReportFact.day == date(2026, 1, 5), ReportFact.measure == facts.ENTERED,
                                  ReportFact.bucket == 7)).all()
    assert sorted((str(assignee), n) for assignee, n in kept) == sorted([(str(someone), 5), (str(facts.NOBODY), 1)])


def test_the_app_asks_postgresql_for_generic_plans(ctx):
    # A prepared statement is planned once, not anew while a custom plan looks cheaper.
    assert session.scalar(text("SHOW plan_cache_mode")) == "force_generic_plan"
