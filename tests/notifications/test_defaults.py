"""Admin defaults: what users who chose nothing get, stored in the database and used by every event."""
import pytest
from sqlalchemy import select

from db import session
from db.models import Notification, NotificationType, Role, TaskStatus
from domain.errors import Forbidden
from notifications import preferences
from workflow import notifications as notices
from workflow import tasks

T = NotificationType


def test_built_in_defaults_until_an_admin_changes_them(ctx, make_user):
    admin = make_user(Role.ADMIN)
    agent = make_user(Role.AGENT)
    assert preferences.get_defaults()["Comment"] == {"in_app": True, "email": False, "sms": False}
    updated = notices.update_defaults(actor=admin, changes={T.COMMENT: {"email": True}})
    assert updated["Comment"] == {"in_app": True, "email": True, "sms": False}
    # Other types untouched; a user who chose nothing now gets the Admin's default.
    assert updated["Task Assignment"] == preferences.DEFAULTS[T.TASK_ASSIGNMENT]
    assert preferences.get_settings(user=agent)["Comment"] == {"in_app": True, "email": True, "sms": False}
    assert preferences.enabled_channels(user_ids={agent.id}, kind=T.COMMENT) == {agent.id: frozenset({"in_app", "email"})}
    # A second partial change keeps the first.
    notices.update_defaults(actor=admin, changes={T.COMMENT: {"sms": True}})
    assert preferences.get_defaults()["Comment"] == {"in_app": True, "email": True, "sms": True}


def test_a_users_own_choice_wins_over_the_default(ctx, make_user):
    admin = make_user(Role.ADMIN)
    agent = make_user(Role.AGENT)
    notices.update_settings(user=agent, changes={T.STATUS_CHANGE: {"in_app": True}})
    notices.update_defaults(actor=admin, changes={T.STATUS_CHANGE: {"in_app": False}})
    assert preferences.get_settings(user=agent)["Status Change"]["in_app"] is True
    assert preferences.enabled_channels(user_ids={agent.id}, kind=T.STATUS_CHANGE) == {agent.id: frozenset({"in_app"})}


def test_only_admins_change_defaults(ctx, make_user):
    for role in (Role.MANAGER, Role.AGENT, Role.VIEWER):
        with pytest.raises(Forbidden):
            notices.update_defaults(actor=make_user(role), changes={T.COMMENT: {"sms": True}})
    assert preferences.get_defaults()["Comment"]["sms"] is False


def test_events_follow_the_admin_defaults(ctx, make_user):
    admin = make_user(Role.ADMIN)
    manager = make_user(Role.MANAGER)
    agent = make_user(Role.AGENT)
    # Status changes switched off in-app for everyone who chose nothing.
    notices.update_defaults(actor=admin, changes={T.STATUS_CHANGE: {"in_app": False}})
    task = tasks.create_task(actor=manager, title="Defaults", assigned_to=agent.id)
    tasks.change_status(actor=agent, task_id=task.id, status=TaskStatus.IN_PROGRESS)
    kinds = list(session.scalars(select(Notification.type).where(Notification.user_id == manager.id)))
    assert T.STATUS_CHANGE not in kinds


def test_api(client, make_user, auth_headers):
    admin = make_user(Role.ADMIN)
    agent = make_user(Role.AGENT)
    url = "/api/notifications/settings/defaults"
    response = client.get(url, headers=auth_headers(agent))
    assert response.status_code == 200 and set(response.json) == {t.value for t in T}
    refused = client.post(url, json={"Comment": {"email": True}}, headers=auth_headers(agent))
    assert refused.status_code == 403 and refused.json["error"]["code"]
    response = client.post(url, json={"Comment": {"email": True}}, headers=auth_headers(admin))
    assert response.status_code == 200 and response.json["Comment"]["email"] is True
    assert client.get("/api/notifications/settings", headers=auth_headers(agent)).json["Comment"]["email"] is True
    bad = client.post(url, json={"Nonsense": {"email": True}}, headers=auth_headers(admin))
    assert bad.status_code in (400, 422)


def test_portal_defaults_grid(app, ctx, make_user, monkeypatch):
    from portal.pages import preferences as page

    admin = make_user(Role.ADMIN)
    # The grid saves only the channels the server delivers: this one delivers both.
    monkeypatch.setitem(app.config, "SMTP_URL", "smtp://127.0.0.1:9")
    monkeypatch.setitem(app.config, "SMS_ENABLED", True)
    states = [{"id": {"kind": t.value, "channel": c}} for t in T for c in preferences.CHANNELS]
    values = [preferences.get_defaults()[s["id"]["kind"]][s["id"]["channel"]] for s in states]
    values[states.index({"id": {"kind": "Comment", "channel": "sms"}})] = True
    assert page._changes(values, states)[T.COMMENT] == {"in_app": True, "email": False, "sms": True}
    monkeypatch.setattr(page, "portal_user", lambda: admin)
    with app.test_request_context():
        notices.update_defaults(actor=admin, changes=page._changes(values, states))
    assert preferences.get_defaults()["Comment"]["sms"] is True
