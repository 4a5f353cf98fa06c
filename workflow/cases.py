"""Cases group tasks: a reference, a title, open or closed."""
import uuid

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from db import session
from db.models import Case, CaseStatus, User
from db.pagination import Page, datetime_key, paginate
from db.types import contains_pattern, utcnow, uuid7
from domain import rules
from domain.errors import Conflict, Forbidden, NotFound

EDITABLE_FIELDS = ("title", "description", "status")


def _next_reference(year: int) -> str:
    """CASE-<year>-<n>: one more than the highest reference of that year."""
    prefix = f"CASE-{year}-"
    highest = session.scalar(
        select(func.max(Case.reference)).where(Case.reference.like(f"{prefix}%"))
    )
    number = int(highest.removeprefix(prefix)) + 1 if highest else 1
    return f"{prefix}{number:05d}"


def create_case(*, actor: User, title: str, description: str = "") -> Case:
    """Open a new case with the next free reference of the year."""
    if not rules.can_create_case(actor):
        raise Forbidden("your role cannot create cases")
    # Two creators may pick the same number at once: the unique index decides, we retry.
    for _attempt in range(5):
        now = utcnow()
        found = Case(
            id=uuid7(),
            reference=_next_reference(now.year),
            title=title,
            description=description,
            status=CaseStatus.OPEN,
            created_by=actor.id,
            created_at=now,
            updated_at=now,
        )
        session.add(found)
        try:
            session.commit()
            return found
        except IntegrityError:
            session.rollback()
    raise Conflict("could not allocate a case reference; try again")


def get_case(*, case_id: uuid.UUID) -> Case:
    found = session.get(Case, case_id)
    if found is None:
        raise NotFound("case not found")
    return found


def update_case(*, actor: User, case_id: uuid.UUID, changes: dict) -> Case:
    """Change a case's title, description or status (open/closed)."""
    found = get_case(case_id=case_id)
    if not rules.can_edit_case(actor, found):
        raise Forbidden("only managers, admins and the case's creator may edit it")
    changed = False
    for field in EDITABLE_FIELDS:
        if field in changes and getattr(found, field) != changes[field]:
            setattr(found, field, changes[field])
            changed = True
    if changed:
        found.updated_at = utcnow()
        session.commit()
    return found


def list_cases(
    *, status: CaseStatus | None, q: str | None, limit: int, cursor: str | None
) -> Page:
    """Cases, newest first."""
    statement = select(Case)
    if status is not None:
        statement = statement.where(Case.status == status)
    if q:
        pattern = contains_pattern(q)
        statement = statement.where(
            or_(Case.title.ilike(pattern, escape="\\"), Case.reference.ilike(pattern, escape="\\"))
        )
    return paginate(
        session(),
        statement,
        id_column=Case.id,
        key=datetime_key(Case.created_at),
        sort="-created_at",
        descending=True,
        limit=limit,
        cursor=cursor,
    )
