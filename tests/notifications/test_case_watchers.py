"""Case watchers: watching a case means hearing of the Status Changes and Comments of all its tasks."""
import uuid

import pytest
from sqlalchemy import select

from db import session
from db.models import Notification, NotificationType, Role, TaskStatus
from domain.errors import Forbidden, NotFound
from workflow import cases, comments, tasks, watchers

T = NotificationType


def _notices(user, kind=None) -> list[str]:
    statement = select(Notification.content).where(Notification.user_id == user.id).order_by(Notification.id)
    if kind is not None:
        statement = statement.where(Notification.type == kind)
    return list(session.scalars(statement))


@pytest.fixture
def case_world(ctx, make_user):
    manager = make_user(Role.MANAGER, full_name="Mia Manager")
    agent = make_user(Role.AGENT, full_name="Abe Agent")
    watcher = make_user(Role.VIEWER, full_name="Wes Watcher")
    case = cases.create_case(actor=manager, title="Printer fleet")
    task = tasks.create_task(actor=manager, title="Replace toner", assigned_to=agent.id, case_id=case.id)
    return {"manager": manager, "agent": agent, "watcher": watcher, "case": case, "task": task}


def test_watch_and_unwatch_a_case(case_world):
    w = case_world
    assert watchers.watch_case(actor=w["watcher"], case_id=w["case"].id) == [w["watcher"].id]
    # Twice is harmless.
    assert watchers.watch_case(actor=w["watcher"], case_id=w["case"].id) == [w["watcher"].id]
    assert watchers.is_watching_case(user_id=w["watcher"].id, case_id=w["case"].id)
    watchers.unwatch_case(actor=w["watcher"], case_id=w["case"].id)
    watchers.unwatch_case(actor=w["watcher"], case_id=w["case"].id)
    assert watchers.list_case_watchers(case_id=w["case"].id) == []


def test_others_only_by_supervisors_and_unknown_cases(case_world):
    w = case_world
    with pytest.raises(Forbidden):
        watchers.watch_case(actor=w["agent"], case_id=w["case"].id, user_id=w["watcher"].id)
    assert watchers.watch_case(actor=w["manager"], case_id=w["case"].id, user_id=w["watcher"].id) == [w["watcher"].id]
    with pytest.raises(NotFound):
        watchers.watch_case(actor=w["agent"], case_id=uuid.uuid4())


def test_case_watchers_hear_status_changes_and_comments_of_its_tasks(case_world):
    w = case_world
    watchers.watch_case(actor=w["watcher"], case_id=w["case"].id)
    tasks.change_status(actor=w["agent"], task_id=w["task"].id, status=TaskStatus.IN_PROGRESS)
    comments.add_comment(actor=w["agent"], task_id=w["task"].id, body="Toner ordered")
    assert _notices(w["watcher"]) == [
        "Abe Agent moved 'Replace toner' from New to In Progress",
        "Abe Agent commented on 'Replace toner'",
    ]
    # A task outside the case says nothing to the case's watchers.
    other = tasks.create_task(actor=w["manager"], title="Elsewhere", assigned_to=w["agent"].id)
    tasks.change_status(actor=w["agent"], task_id=other.id, status=TaskStatus.IN_PROGRESS)
    assert len(_notices(w["watcher"])) == 2


def test_never_the_actor_and_once_per_event(case_world):
    w = case_world
    # The assignee also watches the case and the task: one notice each time, and none of their own moves.
    watchers.watch_case(actor=w["agent"], case_id=w["case"].id)
    watchers.watch(actor=w["agent"], task_id=w["task"].id)
    watchers.watch_case(actor=w["manager"], case_id=w["case"].id)
    tasks.change_status(actor=w["agent"], task_id=w["task"].id, status=TaskStatus.IN_PROGRESS)
    assert _notices(w["agent"], T.STATUS_CHANGE) == []
    assert _notices(w["manager"], T.STATUS_CHANGE) == ["Abe Agent moved 'Replace toner' from New to In Progress"]
    comments.add_comment(actor=w["manager"], task_id=w["task"].id, body="Thanks")
    assert _notices(w["agent"], T.COMMENT) == ["Mia Manager commented on 'Replace toner'"]
    assert _notices(w["manager"], T.COMMENT) == []


def test_unwatched_case_is_silent(case_world):
    w = case_world
    watchers.watch_case(actor=w["watcher"], case_id=w["case"].id)
    watchers.unwatch_case(actor=w["watcher"], case_id=w["case"].id)
    tasks.change_status(actor=w["agent"], task_id=w["task"].id, status=TaskStatus.IN_PROGRESS)
    assert _notices(w["watcher"]) == []


def test_api_watch_and_unwatch(app, client, case_world, auth_headers):
    w = case_world
    headers = auth_headers(w["watcher"])
    url = f"/api/cases/{w['case'].id}/watchers"
    response = client.post(url, json={}, headers=headers)
    assert response.status_code == 200
    assert response.json == {"case_id": str(w["case"].id), "watchers": [str(w["watcher"].id)]}
    assert client.delete(url, headers=headers).status_code == 204
    assert watchers.list_case_watchers(case_id=w["case"].id) == []
    response = client.post(f"/api/cases/{w['task'].id}/watchers", json={}, headers=headers)
    assert response.status_code == 404
    response = client.post(url, json={"user_id": "nope"}, headers=headers)
    assert response.status_code in (400, 422)


def test_portal_button_toggles_watching(app, case_world, monkeypatch):
    from portal.pages import case as case_page

    w = case_world
    monkeypatch.setattr(case_page, "portal_user", lambda: w["watcher"])
    label, _message = case_page.toggle_watch(1, str(w["case"].id))
    assert "Unwatch case" in label
    assert watchers.list_case_watchers(case_id=w["case"].id) == [w["watcher"].id]
    label, _message = case_page.toggle_watch(2, str(w["case"].id))
    assert "Watch case" in label
    assert watchers.list_case_watchers(case_id=w["case"].id) == []


def test_case_page_shows_the_watch_button_to_every_role(app, case_world, monkeypatch):
    from portal import ids
    from portal.pages import case as case_page

    w = case_world
    for user, label in ((w["watcher"], "Watch case"), (w["agent"], "Unwatch case")):
        if label == "Unwatch case":
            watchers.watch_case(actor=user, case_id=w["case"].id)
        monkeypatch.setattr(case_page, "portal_user", lambda user=user: user)
        found = _find(case_page.layout(case_id=str(w["case"].id)), ids.CASE_WATCH)
        assert found is not None and label in str(found.children)


def _find(component, component_id):
    """The component of `component_id` in a layout tree, or None."""
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, str):
            found = _find(child, component_id)
            if found is not None:
                return found
    return None
