"""The Automation user: who the history names for the changes the product makes on its own (SLA escalations).

A real row, because every history entry names a user; inactive, a Viewer and without a usable password, so
it never signs in, is never assigned work and receives nothing.
"""
import uuid

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite

from db import session
from db.models import Role, User
from db.types import utcnow

#: Fixed, so every process finds (or makes) the same one.
AUTOMATION_ID = uuid.UUID("00000000-0000-4000-8000-00000000a070")
USERNAME = "automation"


def automation_user() -> User:
    """The Automation user, made the first time it is needed (two processes at once make one)."""
    found = session.get(User, AUTOMATION_ID)
    if found is not None:
        return found
    dialect = session.get_bind().dialect.name
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert if dialect == "sqlite" else insert
    values = dict(id=AUTOMATION_ID, username=USERNAME, email="automation@invalid", full_name="Automation",
                  role=Role.VIEWER, department=None, is_active=False, password_hash="!", created_at=utcnow(),
                  credential_version=0)
    statement = make(User).values(**values)
    if hasattr(statement, "on_conflict_do_nothing"):
        statement = statement.on_conflict_do_nothing()
    session.execute(statement)
    made = session.get(User, AUTOMATION_ID)
    if made is None:  # the name or address is someone else's
        raise RuntimeError(f"the user name {USERNAME!r} is taken: rename that user so automation can act")
    return made
