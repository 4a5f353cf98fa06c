"""The history of a case's tasks while they were in it: newest first, keyset pages; a task moved out keeps its
past in the case, and its later life elsewhere stays out."""
from datetime import timedelta

from db import session
from db.models import Priority, Role, TaskHistory, TaskStatus
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


def _entries(case_id, limit=50) -> list[TaskHistory]:
    """Every entry of the case's history, newest first, read a page of `limit` at a time."""
    found, cursor = [], None
    while True:
        page = history.list_case_history(case_id=case_id, limit=limit, cursor=cursor)
        found += page.items
        cursor = page.next_cursor
        if cursor is None:
            return found


def _task_rows(task_id) -> list[TaskHistory]:
    """A task's own entries, oldest first."""
    return history.list_history(task_id=task_id, limit=50, cursor=None).items


def test_a_task_moved_to_another_case_keeps_its_past_in_the_first(ctx, make_user):
    manager = make_user(Role.MANAGER)
    first, second = cases.create_case(actor=manager, title="Printers"), cases.create_case(actor=manager, title="Scanners")
    task = tasks.create_task(actor=manager, title="Order toner", case_id=first.id)
    tasks.change_status(actor=manager, task_id=task.id, status=TaskStatus.IN_PROGRESS)
    tasks.update_task(actor=manager, task_id=task.id, changes={"case_id": second.id})
    tasks.update_task(actor=manager, task_id=task.id, changes={"priority": Priority.HIGH})
    created, started, moved, edited = _task_rows(task.id)

    assert [r.id for r in _entries(first.id)] == [moved.id, started.id, created.id]
    assert [r.id for r in _entries(second.id)] == [edited.id, moved.id]


def test_a_task_that_comes_back_shows_each_stay_and_not_the_time_between(ctx, make_user):
    agent = make_user(Role.AGENT)
    first, second = cases.create_case(actor=agent, title="Laptops"), cases.create_case(actor=agent, title="Phones")
    task = tasks.create_task(actor=agent, title="Image laptops")
    tasks.update_task(actor=agent, task_id=task.id, changes={"title": "Image the laptops"})
    tasks.update_task(actor=agent, task_id=task.id, changes={"case_id": first.id})
    tasks.update_task(actor=agent, task_id=task.id, changes={"case_id": None})
    tasks.update_task(actor=agent, task_id=task.id, changes={"title": "Image every laptop"})
    tasks.update_task(actor=agent, task_id=task.id, changes={"case_id": first.id})
    tasks.change_status(actor=agent, task_id=task.id, status=TaskStatus.IN_PROGRESS)
    tasks.update_task(actor=agent, task_id=task.id, changes={"case_id": second.id})
    _created, _retitled, put_in, taken_out, _between, put_back, started, moved = _task_rows(task.id)

    # Paged two at a time: the stays join up in one order, newest first, with no entry twice.
    assert [r.id for r in _entries(first.id, limit=2)] == [moved.id, started.id, put_back.id, taken_out.id, put_in.id]
    assert [r.id for r in _entries(second.id, limit=2)] == [moved.id]


def test_a_deleted_task_keeps_its_entries_in_its_case(ctx, make_user):
    manager = make_user(Role.MANAGER)
    case = cases.create_case(actor=manager, title="Desks")
    task = tasks.create_task(actor=manager, title="Move desks", case_id=case.id)
    tasks.delete_task(actor=manager, task_id=task.id)
    created, deleted = _task_rows(task.id)
    assert [r.id for r in _entries(case.id)] == [deleted.id, created.id]
