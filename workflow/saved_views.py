"""Saved views of the task table: each user names their own filters, sort and columns."""
import json
import uuid
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from db import session
from db.models import SavedView, User
from db.types import utcnow, uuid7
from domain.errors import Conflict, NotFound, ValidationFailed
from domain.schemas import Text

MAX_NAME = 80
_VIEW_NAME = TypeAdapter(Text(1, MAX_NAME))
#: A view holds a few filters and a dozen columns; anything near this is not a view.
MAX_STATE_BYTES = 16_000
MAX_VIEWS_PER_USER = 100


def _clean_name(name: Any) -> str:
    """The name as the input schemas take one line of text (no control characters or line breaks), trimmed."""
    try:
        return _VIEW_NAME.validate_python(name)
    except ValidationError as exc:
        message = exc.errors()[0]["msg"] if isinstance(name, str) and name.strip() else f"1 to {MAX_NAME} characters"
        raise ValidationFailed("a view needs a name of one line", [{"field": "name", "message": message}]) from None


def _check_state(state: Any) -> None:
    if not isinstance(state, dict):
        raise ValidationFailed("a view's state is an object", [{"field": "state", "message": "must be an object"}])
    try:
        size = len(json.dumps(state).encode("utf-8"))
    except (TypeError, ValueError):
        raise ValidationFailed("a view's state must be JSON", [{"field": "state", "message": "not JSON"}]) from None
    if size > MAX_STATE_BYTES:
        raise ValidationFailed(
            "this view is too large to save", [{"field": "state", "message": f"at most {MAX_STATE_BYTES} bytes"}]
        )


def list_views(*, actor: User) -> list[SavedView]:
    """The actor's own views, by name."""
    return list(session.scalars(select(SavedView).where(SavedView.user_id == actor.id).order_by(SavedView.name)))


def get_view(*, actor: User, view_id: uuid.UUID) -> SavedView:
    """One of the actor's own views; anyone else's is not found."""
    view = session.get(SavedView, view_id)
    if view is None or view.user_id != actor.id:
        raise NotFound("view not found")
    return view


def _find(actor: User, name: str) -> SavedView | None:
    return session.scalars(select(SavedView).where(SavedView.user_id == actor.id, SavedView.name == name)).first()


def save_view(*, actor: User, name: str, state: dict[str, Any], overwrite: bool = False) -> SavedView:
    """Create a view, or replace the actor's view of the same name when `overwrite` says so (else Conflict)."""
    name = _clean_name(name)
    _check_state(state)
    now = utcnow()
    view = _find(actor, name)
    if view is not None:
        if not overwrite:
            raise Conflict(f"you already have a view named '{name}'", {"id": str(view.id)})
        view.state = state
        view.updated_at = now
    else:
        if len(list_views(actor=actor)) >= MAX_VIEWS_PER_USER:
            raise ValidationFailed(
                f"at most {MAX_VIEWS_PER_USER} saved views; delete one first",
                [{"field": "name", "message": "too many views"}],
            )
        view = SavedView(id=uuid7(), user_id=actor.id, name=name, state=state, created_at=now, updated_at=now)
        session.add(view)
    try:
        session.commit()
    except IntegrityError:
        # Another request saved the same name first: the unique index decides.
        session.rollback()
        raise Conflict(f"you already have a view named '{name}'") from None
    return view


def delete_view(*, actor: User, view_id: uuid.UUID) -> None:
    """Delete one of the actor's own views."""
    session.delete(get_view(actor=actor, view_id=view_id))
    session.commit()
