"""Saved views: each user sees and changes only their own; replacing a name is explicit."""
import pytest

from db.models import Role
from domain.errors import Conflict, NotFound, ValidationFailed
from workflow import saved_views

STATE = {"filters": {"status": "New"}, "sort": [{"colId": "due_date", "sort": "asc"}], "columns": []}


def test_a_user_lists_gets_and_deletes_only_their_own_views(ctx, make_user):
    agent, viewer = make_user(Role.AGENT), make_user(Role.VIEWER)
    mine = saved_views.save_view(actor=agent, name="  Due soon  ", state=STATE)
    theirs = saved_views.save_view(actor=viewer, name="Due soon", state={"filters": {}})
    saved_views.save_view(actor=agent, name="Alpha", state={})
    assert mine.name == "Due soon"
    assert [v.name for v in saved_views.list_views(actor=agent)] == ["Alpha", "Due soon"]
    assert [v.id for v in saved_views.list_views(actor=viewer)] == [theirs.id]
    assert saved_views.get_view(actor=agent, view_id=mine.id).state == STATE
    with pytest.raises(NotFound):
        saved_views.get_view(actor=agent, view_id=theirs.id)
    with pytest.raises(NotFound):
        saved_views.delete_view(actor=agent, view_id=theirs.id)
    saved_views.delete_view(actor=agent, view_id=mine.id)
    assert [v.name for v in saved_views.list_views(actor=agent)] == ["Alpha"]
    assert [v.id for v in saved_views.list_views(actor=viewer)] == [theirs.id]


def test_saving_an_existing_name_needs_overwrite(ctx, make_user):
    agent = make_user(Role.AGENT)
    first = saved_views.save_view(actor=agent, name="Mine", state=STATE)
    with pytest.raises(Conflict) as raised:
        saved_views.save_view(actor=agent, name="Mine ", state={"filters": {}})
    assert raised.value.details == {"id": str(first.id)}
    assert saved_views.get_view(actor=agent, view_id=first.id).state == STATE
    replaced = saved_views.save_view(actor=agent, name="Mine", state={"filters": {}}, overwrite=True)
    assert replaced.id == first.id and replaced.state == {"filters": {}}
    assert replaced.updated_at >= replaced.created_at
    assert len(saved_views.list_views(actor=agent)) == 1


def test_overwrite_of_a_new_name_just_creates_it(ctx, make_user):
    agent = make_user(Role.AGENT)
    created = saved_views.save_view(actor=agent, name="Fresh", state={}, overwrite=True)
    assert [v.id for v in saved_views.list_views(actor=agent)] == [created.id]


@pytest.mark.parametrize(
    "name, state",
    [
        ("", {}),
        ("   ", {}),
        (None, {}),
        ("x" * (saved_views.MAX_NAME + 1), {}),
        ("nul\x00", {}),
        ("List", ["not", "an", "object"]),
        ("Huge", {"filters": {"q": "x" * saved_views.MAX_STATE_BYTES}}),
        ("Not JSON", {"when": object()}),
    ],
    ids=["empty", "blank", "none", "too-long", "nul", "list-state", "huge-state", "not-json"],
)
def test_invalid_views_are_refused(ctx, make_user, name, state):
    agent = make_user(Role.AGENT)
    with pytest.raises(ValidationFailed):
        saved_views.save_view(actor=agent, name=name, state=state)
    assert saved_views.list_views(actor=agent) == []


def test_a_name_of_exactly_the_limit_is_kept(ctx, make_user):
    agent = make_user(Role.AGENT)
    assert saved_views.save_view(actor=agent, name="y" * saved_views.MAX_NAME, state={}).name == "y" * saved_views.MAX_NAME


def test_views_per_user_are_capped(ctx, make_user, monkeypatch):
    agent = make_user(Role.AGENT)
    monkeypatch.setattr(saved_views, "MAX_VIEWS_PER_USER", 2)
    saved_views.save_view(actor=agent, name="One", state={})
    saved_views.save_view(actor=agent, name="Two", state={})
    with pytest.raises(ValidationFailed):
        saved_views.save_view(actor=agent, name="Three", state={})
    saved_views.save_view(actor=agent, name="Two", state={"filters": {}}, overwrite=True)


@pytest.mark.parametrize("name", ["Two\nlines", "Tab\there", "Bell\x07", "Sep\u2028arated", "", "   ", "x" * 81])
def test_a_view_name_is_one_line_of_text(ctx, make_user, name):
    agent = make_user(Role.AGENT)
    with pytest.raises(ValidationFailed) as raised:
        saved_views.save_view(actor=agent, name=name, state=STATE)
    assert raised.value.details[0]["field"] == "name"
    assert saved_views.list_views(actor=agent) == []
