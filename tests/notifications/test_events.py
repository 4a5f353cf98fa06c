"""Notification events: each reaches exactly the right people, never the actor, as they chose, once."""
import pytest
from sqlalchemy import event, select

from db import engine, session
from db.models import Notification, NotificationType, Role, TaskStatus
from domain import rules
from domain.errors import Forbidden, InvalidTransition, StaleVersion
from notifications import events, preferences
from workflow import comments, tasks, users, watchers
from workflow import notifications as notices

T = NotificationType


def _inbox(user) -> list[tuple[NotificationType, str]]:
    """(type, content) of the user's notifications, oldest first."""
    rows = session.scalars(select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))
    return [(n.type, n.content) for n in rows]


def _all_notifications() -> int:
    return len(session.scalars(select(Notification.id)).all())


@pytest.fixture
def team(ctx, make_user):
    """A manager, two agents, an admin and a viewer with readable names."""
    return {
        "alice": make_user(Role.MANAGER, username="alice", full_name="Alice Agent"),
        "bob": make_user(Role.AGENT, username="bob", full_name="Bob Builder"),
        "carol": make_user(Role.AGENT, username="carol", full_name="Carol Clerk"),
        "dave": make_user(Role.ADMIN, username="dave.d", full_name="Dave Admin"),
        "vera": make_user(Role.VIEWER, username="vera", full_name="Vera Viewer"),
    }


@pytest.fixture
def printer(team):
    """'Fix printer': created by Alice, assigned to Bob, watched by Carol (her inbox starts empty)."""
    task = tasks.create_task(actor=team["alice"], title="Fix printer", assigned_to=team["bob"].id)
    watchers.watch(actor=team["carol"], task_id=task.id)
    return task


# --- Task Assignment ---------------------------------------------------------------------


def test_assignment_at_creation_reaches_the_assignee_only(team, printer):
    assert _inbox(team["bob"]) == [(T.TASK_ASSIGNMENT, "Alice Agent assigned you 'Fix printer'")]
    for name in ("alice", "carol", "dave", "vera"):
        assert _inbox(team[name]) == []
    notification = session.scalars(select(Notification).where(Notification.user_id == team["bob"].id)).one()
    assert notification.related_task_id == printer.id and notification.read is False


def test_taking_a_task_yourself_is_silent(team):
    tasks.create_task(actor=team["bob"], title="Mine", assigned_to=team["bob"].id)
    task = tasks.create_task(actor=team["alice"], title="Unassigned")
    tasks.update_task(actor=team["carol"], task_id=task.id, changes={"assigned_to": team["carol"].id})
    assert _all_notifications() == 0


def test_reassignment_reaches_the_new_assignee_only(team, printer):
    tasks.update_task(actor=team["alice"], task_id=printer.id, changes={"assigned_to": team["carol"].id})
    assert _inbox(team["carol"]) == [(T.TASK_ASSIGNMENT, "Alice Agent assigned you 'Fix printer'")]
    assert len(_inbox(team["bob"])) == 1  # only the first assignment
    tasks.update_task(actor=team["alice"], task_id=printer.id, changes={"assigned_to": None})
    assert len(_inbox(team["carol"])) == 1


# --- Status Change -----------------------------------------------------------------------


def test_status_change_reaches_creator_assignee_and_watchers_but_not_the_actor(team, printer):
    tasks.change_status(actor=team["bob"], task_id=printer.id, status=TaskStatus.IN_PROGRESS)
    moved = (T.STATUS_CHANGE, "Bob Builder moved 'Fix printer' from New to In Progress")
    assert _inbox(team["alice"]) == [moved]
    assert _inbox(team["carol"]) == [moved]
    assert _inbox(team["bob"]) == [(T.TASK_ASSIGNMENT, "Alice Agent assigned you 'Fix printer'")]
    assert _inbox(team["dave"]) == _inbox(team["vera"]) == []


def test_status_change_through_update_task(team, printer):
    tasks.update_task(actor=team["dave"], task_id=printer.id, changes={"status": TaskStatus.ON_HOLD})
    moved = (T.STATUS_CHANGE, "Dave Admin moved 'Fix printer' from New to On Hold")
    assert _inbox(team["alice"]) == [moved] and _inbox(team["carol"]) == [moved]
    assert _inbox(team["bob"])[-1] == moved
    assert _inbox(team["dave"]) == []


def test_assignment_and_move_in_one_edit_are_two_events(team, printer):
    tasks.update_task(
        actor=team["alice"], task_id=printer.id,
        changes={"assigned_to": team["dave"].id, "status": TaskStatus.IN_PROGRESS},
    )
    assert _inbox(team["dave"]) == [
        (T.TASK_ASSIGNMENT, "Alice Agent assigned you 'Fix printer'"),
        (T.STATUS_CHANGE, "Alice Agent moved 'Fix printer' from New to In Progress"),
    ]
    # Bob is no longer the assignee and does not watch: he only has his first assignment.
    assert len(_inbox(team["bob"])) == 1
    assert _inbox(team["alice"]) == []


def test_a_watcher_who_is_also_the_creator_hears_once(team, printer):
    watchers.watch(actor=team["alice"], task_id=printer.id)
    watchers.watch(actor=team["bob"], task_id=printer.id)
    tasks.change_status(actor=team["dave"], task_id=printer.id, status=TaskStatus.IN_PROGRESS)
    assert len(_inbox(team["alice"])) == 1
    assert len(_inbox(team["bob"])) == 2  # the assignment, then one move


# --- Comment -----------------------------------------------------------------------------


def test_comment_reaches_creator_assignee_and_watchers_but_not_the_author(team, printer):
    comments.add_comment(actor=team["carol"], task_id=printer.id, body="Toner is low.")
    commented = (T.COMMENT, "Carol Clerk commented on 'Fix printer'")
    assert _inbox(team["alice"]) == [commented]
    assert _inbox(team["bob"])[-1] == commented
    assert _inbox(team["carol"]) == []
    assert _inbox(team["dave"]) == []


def test_a_mention_reaches_the_mentioned_and_replaces_the_comment_notice(team, printer):
    body = "@dave.d please order toner; @bob FYI. Mail carol@example.com, not @nobody_here. @carol"
    comments.add_comment(actor=team["carol"], task_id=printer.id, body=body)
    assert _inbox(team["dave"]) == [(T.COMMENT, "Carol Clerk mentioned you on 'Fix printer'")]
    # Bob is the assignee and mentioned: one notice, the mention.
    assert _inbox(team["bob"])[1:] == [(T.COMMENT, "Carol Clerk mentioned you on 'Fix printer'")]
    assert _inbox(team["alice"]) == [(T.COMMENT, "Carol Clerk commented on 'Fix printer'")]
    assert _inbox(team["carol"]) == []  # mentioning yourself is not news
    assert _inbox(team["vera"]) == []


def test_mentions_follow_the_one_rule(team):
    assert rules.mentioned_usernames("@dave.d. hi (@bob), x@carol, @@alice, @a") == {"dave.d", "bob"}


def test_an_assignee_who_watches_and_is_mentioned_hears_once(team, printer):
    watchers.watch(actor=team["bob"], task_id=printer.id)
    comments.add_comment(actor=team["alice"], task_id=printer.id, body="@bob @bob can you look?")
    assert _inbox(team["bob"])[1:] == [(T.COMMENT, "Alice Agent mentioned you on 'Fix printer'")]


# --- who gets nothing ----------------------------------------------------------------------


def test_deactivated_users_get_nothing(team, printer):
    users.update_user(actor=team["dave"], user_id=team["carol"].id, changes={"is_active": False})
    comments.add_comment(actor=team["alice"], task_id=printer.id, body="Any news, @carol?")
    tasks.change_status(actor=team["alice"], task_id=printer.id, status=TaskStatus.IN_PROGRESS)
    assert _inbox(team["carol"]) == []
    assert [kind for kind, _ in _inbox(team["bob"])] == [T.TASK_ASSIGNMENT, T.COMMENT, T.STATUS_CHANGE]


def test_in_app_off_writes_no_row_but_keeps_the_other_channels(team, printer):
    notices.update_settings(user=team["carol"], changes={T.STATUS_CHANGE: {"in_app": False, "email": True}})
    notices.update_settings(user=team["alice"], changes={T.STATUS_CHANGE: {"in_app": False}})
    task = tasks.get_task(task_id=printer.id)
    deliveries = events.status_change_deliveries(actor=team["bob"], task=task, old_status=TaskStatus.NEW)
    assert {d.user_id: d.channels for d in deliveries} == {team["carol"].id: frozenset({"email"})}
    tasks.change_status(actor=team["bob"], task_id=printer.id, status=TaskStatus.IN_PROGRESS)
    assert _inbox(team["carol"]) == [] and _inbox(team["alice"]) == []
    comments.add_comment(actor=team["bob"], task_id=printer.id, body="Started.")
    assert _inbox(team["carol"]) == [(T.COMMENT, "Bob Builder commented on 'Fix printer'")]


def test_preferences_of_every_recipient_come_from_one_query(team):
    notices.update_settings(user=team["bob"], changes={T.COMMENT: {"sms": True}})
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(engine(), "before_cursor_execute", count)
    try:
        enabled = preferences.enabled_channels(
            user_ids={team[name].id for name in ("alice", "bob", "carol", "dave")}, kind=T.COMMENT
        )
    finally:
        event.remove(engine(), "before_cursor_execute", count)
    assert len(statements) == 1
    assert enabled[team["bob"].id] == frozenset({"in_app", "sms"})
    assert enabled[team["alice"].id] == frozenset({"in_app"})


# --- refused changes leave nothing -----------------------------------------------------------


def test_an_invalid_transition_leaves_no_notification(team, printer):
    before = _all_notifications()
    with pytest.raises(InvalidTransition):
        tasks.change_status(actor=team["bob"], task_id=printer.id, status=TaskStatus.COMPLETED)
    with pytest.raises(InvalidTransition):
        tasks.update_task(
            actor=team["alice"], task_id=printer.id,
            changes={"assigned_to": team["carol"].id, "status": TaskStatus.COMPLETED},
        )
    assert _all_notifications() == before
    assert tasks.get_task(task_id=printer.id).assigned_to == team["bob"].id


def test_a_stale_version_leaves_no_notification(team, printer):
    before = _all_notifications()
    with pytest.raises(StaleVersion):
        tasks.change_status(actor=team["alice"], task_id=printer.id, status=TaskStatus.IN_PROGRESS, expected_version=99)
    with pytest.raises(StaleVersion):
        tasks.update_task(actor=team["alice"], task_id=printer.id, changes={"assigned_to": team["carol"].id},
                          expected_version=99)
    assert _all_notifications() == before


def test_a_refused_comment_leaves_no_notification(team, printer):
    before = _all_notifications()
    with pytest.raises(Forbidden):
        comments.add_comment(actor=team["vera"], task_id=printer.id, body="@bob hello")
    assert _all_notifications() == before


def test_a_lost_race_at_commit_rolls_the_notifications_back(team, printer):
    """Another writer bumps the version between our read and our commit: nothing of ours stays."""
    task = tasks.get_task(task_id=printer.id)
    # The concurrent writer, simulated in SQL under the ORM's feet.
    session.execute(
        type(task).__table__.update().where(type(task).__table__.c.id == task.id).values(version=task.version + 1)
    )
    before = _all_notifications()
    with pytest.raises(StaleVersion):
        tasks.change_status(actor=team["alice"], task_id=printer.id, status=TaskStatus.IN_PROGRESS)
    assert _all_notifications() == before
