"""The audit log: each administrative change, sign-in and export leaves exactly one row, and no row can change."""
import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DatabaseError

from db import session
from db.models import AuditEvent, NotificationType, Role
from domain.errors import Unauthorized
from tests.conftest import PASSWORD
from workflow import audit, board, exports, notifications, sla, users


def _events(action: str, target_id=None) -> list[AuditEvent]:
    statement = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.at, AuditEvent.id)
    if target_id is not None:
        statement = statement.where(AuditEvent.target_id == str(target_id))
    return list(session.scalars(statement))


def _one(action: str, target_id=None) -> AuditEvent:
    events = _events(action, target_id)
    assert len(events) == 1, [(e.action, e.before, e.after) for e in events]
    return events[0]


def test_creating_a_user_is_recorded_with_what_was_set(ctx, people, make_user):
    admin = people["admin"]
    created = users.create_user(actor=admin, username="newcomer", email="newcomer@example.com", full_name="New Comer",
                                role=Role.AGENT, password=PASSWORD, department="Billing")
    event = _one("user.created", created.id)
    assert (event.actor_id, event.actor_name, event.target_type) == (admin.id, admin.username, "user")
    assert event.after["username"] == "newcomer" and event.after["role"] == "Agent" and event.after["department"] == "Billing"
    assert "password" not in str(event.after) and "hash" not in str(event.after)


def test_a_change_records_only_the_fields_that_changed(ctx, people):
    admin, agent = people["admin"], people["agent"]
    users.update_user(actor=admin, user_id=agent.id, changes={"role": Role.MANAGER, "department": "Support", "full_name": "A. Gent"})
    event = _one("user.updated", agent.id)
    # The department was Support already: only what moved is kept.
    assert event.before == {"role": "Agent", "full_name": "Agent 3"} and event.after == {"role": "Manager", "full_name": "A. Gent"}


def test_a_change_that_changes_nothing_leaves_no_row(ctx, people):
    agent = people["agent"]
    users.update_user(actor=people["admin"], user_id=agent.id, changes={"department": agent.department})
    assert _events("user.updated", agent.id) == []


def test_deactivation_reactivation_and_password_resets_have_their_own_rows(ctx, people):
    admin, agent = people["admin"], people["agent"]
    users.update_user(actor=admin, user_id=agent.id, changes={"is_active": False})
    users.update_user(actor=admin, user_id=agent.id, changes={"is_active": True, "password": "another-long-passphrase"})
    assert _one("user.deactivated", agent.id).after == {"is_active": False}
    assert _one("user.reactivated", agent.id).before == {"is_active": False}
    password = _one("user.password_changed", agent.id)
    assert password.before is None and password.after is None  # never the password, nor its hash
    assert _events("user.updated", agent.id) == []


def test_signing_in_and_failing_to_are_recorded_with_the_address(app, people):
    agent = people["agent"]
    with app.test_request_context(environ_base={"REMOTE_ADDR": "203.0.113.7"}):
        users.authenticate(username=agent.username, password=PASSWORD)
        with pytest.raises(Unauthorized):
            users.authenticate(username=agent.username, password="wrong-password")
        with pytest.raises(Unauthorized):
            users.authenticate(username="nobody-by-this-name", password="whatever")
        signed_in = _one("auth.signed_in", agent.id)
        assert (signed_in.actor_id, signed_in.address) == (agent.id, "203.0.113.7")
        failed = _events("auth.sign_in_failed")
        assert [(e.actor_id, e.actor_name, e.target_id) for e in failed] == [
            (None, agent.username, str(agent.id)), (None, "nobody-by-this-name", None)]


def test_signing_someone_out_everywhere_is_recorded(ctx, people):
    users.sign_out(actor=people["admin"], user_id=people["agent"].id)
    assert _one("auth.signed_out_everywhere", people["agent"].id).actor_id == people["admin"].id


def test_sla_policy_changes_are_recorded_with_before_and_after(ctx, people):
    admin = people["admin"]
    sla.set_targets(actor=admin, targets={"High": 480})
    event = _one("sla.targets_changed")
    assert event.before == {"High": {"minutes": 1440, "business_hours": False}}
    assert event.after == {"High": {"minutes": 480, "business_hours": False}}
    sla.set_calendar(actor=admin, calendar_payload={"timezone": "Europe/Paris"})
    calendar = _one("sla.calendar_changed")
    assert calendar.before["timezone"] == "UTC" and calendar.after["timezone"] == "Europe/Paris"


def test_notification_defaults_wip_limits_and_exports_are_recorded(ctx, people):
    admin, manager = people["admin"], people["manager"]
    notifications.update_defaults(actor=admin, changes={NotificationType.COMMENT: {"email": True}})
    assert _one("notifications.defaults_changed").after == {"Comment": {"in_app": True, "email": True, "sms": False}}
    board.set_wip_limits(actor=manager, department="Support", limits={"In Progress": 5})
    wip = _one("board.wip_limits_changed", "Support")
    assert (wip.before, wip.after) == ({"In Progress": None}, {"In Progress": 5})
    export = exports.create_export(actor=manager, report="tasks", filters={"priority": "High"})
    assert _one("export.requested", export.id).after == {"report": "tasks", "filters": {"priority": "High"}}


def test_an_unknown_action_is_a_programming_error(ctx):
    with pytest.raises(ValueError):
        audit.record(actor=None, action="user.renamed")


def test_the_database_refuses_to_change_or_delete_a_row(ctx, people):
    users.sign_out(actor=people["admin"], user_id=people["agent"].id)
    count = session.scalar(select(func.count()).select_from(AuditEvent))
    session.commit()
    for statement in (update(AuditEvent).values(actor_name="someone else"), delete(AuditEvent)):
        with pytest.raises(DatabaseError, match="append-only"):
            session.execute(statement)
            session.flush()
        session.rollback()
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == count
    assert {e.actor_name for e in _events("auth.signed_out_everywhere")} == {people["admin"].username}
