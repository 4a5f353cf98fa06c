"""Users: the directory, and the Admin's management of it."""
import logging
import uuid

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from auth import client_address, login_throttle, passwords
from db import session
from db.models import Role, User
from db.pagination import Page, paginate, text_key
from db.types import contains_pattern, utcnow, uuid7
from domain import assignment as assignment_rules
from domain import rules, times
from domain.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from workflow import analytics, audit, tokens
from workflow.history import jsonable

log = logging.getLogger(__name__)

#: What a user may change about themself; everything else is the Admin's.
SELF_EDITABLE = frozenset({"full_name", "email", "phone", "time_zone", "password", "away", "away_until"})
ADMIN_EDITABLE = SELF_EDITABLE | {"role", "department", "is_active", "username"}


def _commit_unique() -> None:
    """Commit; a taken username or email (the unique indexes decide, race-free) is a Conflict."""
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        text = str(exc.orig).lower()
        field = "username" if "username" in text else "email" if "email" in text else None
        raise Conflict(
            f"a user with this {field or 'value'} already exists",
            [{"field": field, "message": "already taken"}] if field else None,
        ) from None


def create_user(
    *,
    actor: User | None,
    username: str,
    email: str,
    full_name: str,
    role: Role,
    password: str,
    department: str | None = None,
    phone: str | None = None,
) -> User:
    """Create a user (Admin only; `actor=None` is the command line)."""
    if actor is not None and not rules.can_manage_users(actor):
        raise Forbidden("only admins may create users")
    user = User(
        id=uuid7(),
        username=username,
        email=email,
        full_name=full_name,
        role=role,
        department=department,
        phone=phone,
        is_active=True,
        password_hash=passwords.hash_password(password),
        created_at=utcnow(),
    )
    session.add(user)
    audit.record(actor=actor, action="user.created", target_type="user", target_id=user.id, after=_audited(user))
    _commit_unique()
    return user


#: What the audit log keeps of a user before and after a change (never the password hash).
AUDITED_FIELDS = ("username", "email", "full_name", "phone", "role", "department", "is_active", "time_zone",
                  "away", "away_until")


def _audited(user: User) -> dict:
    # As JSON keeps them (the return moment of `away_until` as ISO text).
    return {field: jsonable(getattr(user, field)) for field in AUDITED_FIELDS}


def _audit_update(actor: User, user: User, before: dict, password_changed: bool) -> None:
    """The audit rows of a user's change: one for the fields, one for a password, one for (de)activation."""
    old, new = audit.changed(before, _audited(user))
    activation = new.pop("is_active", None)
    old.pop("is_active", None)
    if new:
        audit.record(actor=actor, action="user.updated", target_type="user", target_id=user.id, before=old, after=new)
    if password_changed:
        audit.record(actor=actor, action="user.password_changed", target_type="user", target_id=user.id)
    if activation is not None:
        audit.record(actor=actor, action="user.reactivated" if activation else "user.deactivated",
                     target_type="user", target_id=user.id, before={"is_active": not activation},
                     after={"is_active": activation})


def get_user(*, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user not found")
    return user


def assignable_users() -> list[User]:
    """Active users who can be given tasks, by full name, in one query."""
    return list(
        session.scalars(
            select(User)
            .where(User.is_active.is_(True), User.role.in_(rules.ASSIGNABLE_ROLES))
            .order_by(User.full_name, User.id)
        )
    )


def full_names(*, user_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Full names of these users by id, in one query."""
    if not user_ids:
        return {}
    return dict(session.execute(select(User.id, User.full_name).where(User.id.in_(user_ids))).all())


def update_user(*, actor: User, user_id: uuid.UUID, changes: dict) -> User:
    """Admins change anything; a user changes their own name, email, phone, time zone and password.

    Changing one's own password takes the current one (`current_password`); an Admin resetting
    someone else's does not, and the user records who set it. A new password or a deactivation
    signs the user out everywhere.
    """
    changes = dict(changes)
    current_password = changes.pop("current_password", None)
    user = get_user(user_id=user_id)
    if rules.can_manage_users(actor):
        allowed = ADMIN_EDITABLE
    elif actor.id == user.id:
        allowed = SELF_EDITABLE
    else:
        raise Forbidden("you may only edit your own profile")
    refused = sorted(set(changes) - allowed)
    if refused:
        raise Forbidden("you may not change " + ", ".join(refused), {"fields": refused})
    if actor.id == user.id and changes.get("is_active") is False:
        raise Conflict("you cannot deactivate yourself")
    if "password" in changes and actor.id == user.id:
        _check_current_password(user, current_password)
    if "department" in changes and changes["department"] != user.department:
        # The per-department facts count tasks under their assignee's department.
        analytics.mark_stale("a user moved to another department")
    _settle_away(user, changes)
    before = _audited(user)
    for field, value in changes.items():
        if field == "password":
            user.password_hash = passwords.hash_password(value)
            user.password_changed_at, user.password_changed_by = utcnow(), actor.id
        else:
            setattr(user, field, value)
    if "password" in changes or changes.get("is_active") is False:
        _revoke_credentials(user)
    if changes.get("is_active") is False:
        # Service tokens outlive a password change, not a deactivation: revoked for good, not just refused.
        tokens.revoke_all(actor=actor, user_id=user.id)
    _audit_update(actor, user, before, "password" in changes)
    _commit_unique()
    if "password" in changes and actor.id != user.id:
        log.warning("password of user %s reset by admin %s", user.id, actor.id)
    return user


def _settle_away(user: User, changes: dict) -> None:
    """Away and its return moment change together: `away` sent alone is until further notice (or back, which
    clears the moment); a moment sent needs away and lies ahead."""
    if "away" in changes and "away_until" not in changes:
        changes["away_until"] = None
    if "away_until" in changes:
        assignment_rules.validate_away(bool(changes.get("away", user.away)), changes["away_until"], utcnow())


def adopt_browser_zone(*, user: User, zone: str | None) -> bool:
    """Store the zone the user's browser reports, only while they have none and only a known IANA name; True if stored."""
    if not times.is_zone(zone):
        return False
    # In SQL, so a zone chosen on the profile page meanwhile is never overwritten by a browser's guess.
    stored = session.execute(
        update(User).where(User.id == user.id, User.time_zone.is_(None)).values(time_zone=zone)
    ).rowcount
    session.commit()
    return bool(stored)


def _check_current_password(user: User, current_password: str | None) -> None:
    """Changing one's own password proves the current one, throttled like a sign-in (it can be guessed)."""
    if not current_password:
        raise ValidationFailed(
            "send your current password to change it",
            [{"field": "current_password", "message": "required to change your password"}],
        )
    throttle = login_throttle()
    with throttle.attempt(user.username, client_address()) as attempt:
        if not passwords.verify_password(user.password_hash, current_password):
            attempt.failed()
            raise Forbidden(
                "the current password is wrong", [{"field": "current_password", "message": "does not match"}]
            )
        attempt.succeeded()


def _revoke_credentials(user: User) -> None:
    # In SQL, so two revocations at once both count (and the row lock orders them).
    user.credential_version = User.credential_version + 1


def sign_out(*, actor: User, user_id: uuid.UUID) -> None:
    """End every session and token of a user: their own logout, or an Admin's "sign out everywhere"."""
    user = get_user(user_id=user_id)
    if actor.id != user.id and not rules.can_manage_users(actor):
        raise Forbidden("only admins may sign other users out")
    _revoke_credentials(user)
    audit.record(actor=actor, action="auth.signed_out_everywhere", target_type="user", target_id=user.id)
    session.commit()
    if actor.id != user.id:
        log.warning("user %s signed out everywhere by admin %s", user.id, actor.id)


def list_users(
    *,
    role: Role | None,
    department: str | None,
    is_active: bool | None,
    q: str | None,
    limit: int,
    cursor: str | None,
) -> Page:
    """Users by username."""
    statement = select(User)
    if role is not None:
        statement = statement.where(User.role == role)
    if department is not None:
        statement = statement.where(User.department == department)
    if is_active is not None:
        statement = statement.where(User.is_active.is_(is_active))
    if q:
        pattern = contains_pattern(q)
        statement = statement.where(
            or_(User.username.ilike(pattern, escape="\\"), User.full_name.ilike(pattern, escape="\\"))
        )
    return paginate(
        session(),
        statement,
        id_column=User.id,
        key=text_key(User.username),
        sort="username",
        descending=False,
        limit=limit,
        cursor=cursor,
    )


def authenticate(*, username: str, password: str) -> User:
    """The active user with these credentials, or Unauthorized; throttled per account and address.

    A sign-in records when it happened and rehashes a password hashed with older costs.
    """
    with login_throttle().attempt(username, client_address()) as attempt:
        user = session.scalar(select(User).where(User.username == username))
        valid = passwords.verify_password(user.password_hash if user else None, password)
        if not valid or user is None or not user.is_active:
            attempt.failed()
            session.rollback()
            audit.record_now(actor=None, actor_name=username[:150], action="auth.sign_in_failed",
                             target_type="user", target_id=user.id if user else None)
            raise Unauthorized("invalid username or password")
        attempt.succeeded()
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login = utcnow()
    audit.record(actor=user, action="auth.signed_in", target_type="user", target_id=user.id)
    session.commit()
    return user
