"""The combined history of a case's tasks: newest first, only that case's tasks, keyset pages."""
from datetime import timedelta

from db import session
from db.models import Role, TaskHistory, TaskStatus
from workflow import cases, history, tasks


def test_case_history_is_newest_first_only_this_case_and_paged(ctx, make_user):
    manager = make_user(Role.MANAGER)
    case, other_case = cases.create_case(actor=manager, title="Office move"), cases.create_case(actor=manager, title="Other")
    first = tasks.create_task(actor=manager, title="Pack IT", case_id=case.id)
    second = tasks.create_task(actor=manager, title="Book vans", case_id=case.id)
    tasks.change_status(actor=manager, task_id=first.id, status=TaskStatus.IN_PROGRESS)
    tasks.create_task(actor=manager, title="Elsewhere", case_id=other_case.id)
    tasks.create_task(actor=manager, title="No case")
    # Two rows at the same moment: the id breaks the tie, as the keyset does.
    rows = session.query(TaskHistory).filter(TaskHistory.task_id.in_([first.id, second.id])).all()
    base = rows[0].changed_at
    for offset, row in zip((0, 1, 1), sorted(rows, key=lambda r: r.id)):
        row.changed_at = base + timedelta(seconds=offset)
    session.commit()

    expected = sorted(rows, key=lambda r: (r.changed_at, r.id), reverse=True)
    page = history.list_case_history(case_id=case.id, limit=2, cursor=None)
    assert [r.id for r in page.items] == [r.id for r in expected[:2]] and page.next_cursor
    rest = history.list_case_history(case_id=case.id, limit=2, cursor=page.next_cursor)
    assert [r.id for r in rest.items] == [expected[2].id] and rest.next_cursor is None
    assert {r.task_id for r in page.items + rest.items} == {first.id, second.id}
    assert history.list_case_history(case_id=other_case.id, limit=50, cursor=None).items[0].task_id not in {first.id, second.id}
