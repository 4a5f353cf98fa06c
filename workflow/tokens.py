"""Service tokens (personal access tokens): created with their secret shown once, listed, revoked.

A token acts as its owner within its scopes (domain.rules.token_allows, applied to every API call in
api/base.py). It lives until it expires (90 days unless asked otherwise, never more than a year) or is
revoked by its owner or an Admin; a deactivated owner's tokens are refused at once. Tokens are personal:
nobody creates one for someone else, and a token cannot create another (api/tokens.py).
"""
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, not_, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from auth.service_tokens import TokenUse, digest, new_secret, shown_prefix
from db import session
from db.models import ApiToken, User
from db.pagination import Page, datetime_key, paginate
from db.types import utcnow, uuid7
from domain import rules
from domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from domain.schemas import CONTROLS, LINE_BREAKS
from workflow import audit

#: How long a token lives when its creator names no expiry, and the longest it may.
DEFAULT_LIFETIME = timedelta(days=90)
MAX_LIFETIME = timedelta(days=365)
MAX_NAME_LENGTH = 100
#: Usable tokens per user: enough for every integration, not a store of forgotten secrets.
MAX_ACTIVE_TOKENS = 50
#: `last_used_at` moves at most this often: an exact time would cost every API call a write.
LAST_USE_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    """A new token and its secret: the only time the secret exists outside its owner's hands."""

    token: ApiToken
    secret: str


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field} {message}", [{"field": field, "message": message}])


def normal_scopes(scopes: Iterable[str]) -> str:
    """The scopes as stored ("read" or "read write"); `write` includes `read`. Unknown or none is a 422."""
    chosen = set(scopes)
    unknown = sorted(chosen - set(rules.TOKEN_SCOPES))
    if unknown or not chosen:
        raise _invalid("scopes", "must be [\"read\"] or [\"read\", \"write\"]")
    return "read write" if "write" in chosen else "read"


def _expiry(expires_at: datetime | None, now: datetime) -> datetime:
    if expires_at is None:
        return now + DEFAULT_LIFETIME
    if expires_at.tzinfo is None:
        raise _invalid("expires_at", "must be a UTC time, e.g. 2026-05-01T09:00:00Z")
    if expires_at <= now:
        raise _invalid("expires_at", "must be in the future")
    if expires_at > now + MAX_LIFETIME:
        raise _invalid("expires_at", f"may be at most {MAX_LIFETIME.days} days from now")
    return expires_at


#: What a one-line name never holds (domain.schemas.Text's rule).
_REFUSED = re.compile(f"[{CONTROLS}{LINE_BREAKS}]")


def _usable(now: datetime):
    return and_(ApiToken.revoked_at.is_(None), ApiToken.expires_at > now)


def create_token(
    *, actor: User, name: str, scopes: Iterable[str] = ("read",), expires_at: datetime | None = None,
    now: datetime | None = None,
) -> IssuedToken:
    """A new token of the actor's own, with `scopes` (`read`, or `read` and `write`), until `expires_at`
    (in the future, at most a year away; 90 days when None). Its secret is in the result and nowhere else."""
    now = now or utcnow()
    name = (name or "").strip()
    if not name:
        raise _invalid("name", "is required")
    if len(name) > MAX_NAME_LENGTH:
        raise _invalid("name", f"may have at most {MAX_NAME_LENGTH} characters")
    if _REFUSED.search(name):  # as the API's schema refuses them (the portal calls this directly)
        raise _invalid("name", "must not contain control characters, tabs or line breaks")
    stored_scopes = normal_scopes(scopes)
    expiry = _expiry(expires_at, now)
    active = session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == actor.id, _usable(now)))
    if active >= MAX_ACTIVE_TOKENS:
        raise Conflict(f"you already have {MAX_ACTIVE_TOKENS} usable tokens: revoke one you no longer need first")
    secret = new_secret()
    token = ApiToken(
        id=uuid7(), user_id=actor.id, name=name, prefix=shown_prefix(secret), token_hash=digest(secret),
        scopes=stored_scopes, created_at=now, expires_at=expiry,
    )
    session.add(token)
    # Never the secret nor its hash: the log says which token, not how to use it.
    audit.record(actor=actor, action="token.created", target_type="token", target_id=token.id,
                 after={"name": name, "prefix": token.prefix, "scopes": stored_scopes.split(),
                        "expires_at": expiry, "user_id": actor.id})
    session.commit()
    return IssuedToken(token, secret)


def get_token(*, actor: User, token_id: uuid.UUID) -> ApiToken:
    """A token of the actor's own, or anyone's for an Admin; another's is not found (its existence is private)."""
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.id and not rules.can_manage_all_tokens(actor)):
        raise NotFound("token not found")
    return token


def revoke_token(*, actor: User, token_id: uuid.UUID, now: datetime | None = None) -> ApiToken:
    """Revoke a token (the owner's or an Admin's act): refused from the next request on. Revoking a revoked
    token changes nothing."""
    token = get_token(actor=actor, token_id=token_id)
    now = now or utcnow()
    # Conditional, so two revocations at once record one.
    revoked = session.execute(
        update(ApiToken).where(ApiToken.id == token.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by=actor.id).execution_options(synchronize_session=False)
    ).rowcount
    if revoked:
        # What the UPDATE wrote, without a second write at the commit.
        set_committed_value(token, "revoked_at", now)
        set_committed_value(token, "revoked_by", actor.id)
        audit.record(actor=actor, action="token.revoked", target_type="token", target_id=token.id,
                     before={"revoked_at": None},
                     after={"revoked_at": now, "name": token.name, "prefix": token.prefix,
                            "user_id": token.user_id})
    session.commit()
    return token


#: What a token list shows: never the hash.
_LISTED = (
    ApiToken.id, ApiToken.user_id, User.username, ApiToken.name, ApiToken.prefix, ApiToken.scopes,
    ApiToken.created_at, ApiToken.expires_at, ApiToken.last_used_at, ApiToken.revoked_at,
)


def list_tokens(
    *, actor: User, user_id: uuid.UUID | None = None, active: bool | None = None, limit: int, cursor: str | None,
    now: datetime | None = None,
) -> Page:
    """Tokens newest first (rows of `_LISTED`): one's own; for an Admin everyone's, or `user_id`'s.
    `active` narrows to usable tokens (True) or to revoked and expired ones (False)."""
    everyone = rules.can_manage_all_tokens(actor)
    if user_id is not None and user_id != actor.id and not everyone:
        raise Forbidden("only an Admin may list other users' tokens")
    statement = select(*_LISTED).join(User, User.id == ApiToken.user_id)
    if user_id is not None or not everyone:
        statement = statement.where(ApiToken.user_id == (user_id or actor.id))
    if active is not None:
        usable = _usable(now or utcnow())
        statement = statement.where(usable if active else not_(usable))
    return paginate(
        session(), statement, id_column=ApiToken.id, key=datetime_key(ApiToken.created_at), sort="-created_at",
        descending=True, limit=limit, cursor=cursor, entities=False,
    )


def state(row, now: datetime | None = None) -> str:
    """A listed token's state: `active`, `expired` or `revoked`."""
    if row.revoked_at is not None:
        return "revoked"
    return "expired" if row.expires_at <= (now or utcnow()) else "active"


def note_use(*, token: TokenUse, now: datetime | None = None) -> None:
    """Record that a token was used, at most once a minute: a request within a minute of the last recorded
    use writes nothing, and the UPDATE's condition keeps concurrent requests from writing twice."""
    now = now or utcnow()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USE_RESOLUTION:
        return
    session.execute(
        update(ApiToken)
        .where(ApiToken.id == token.id,
               or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - LAST_USE_RESOLUTION))
        .values(last_used_at=now).execution_options(synchronize_session=False)
    )
    # Before the request's own work: its commit or rollback must not decide this.
    session.commit()


def revoke_all(*, actor: User | None, user_id: uuid.UUID, now: datetime | None = None) -> int:
    """Revoke every usable token of a user, for good (their deactivation: reactivating them does not bring
    the tokens back), in the caller's transaction; how many were revoked."""
    now = now or utcnow()
    # Without flushing the caller's pending change: a taken username must surface at its commit, as a Conflict.
    with session.no_autoflush:
        found = list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id, _usable(now))))
    for token in found:
        token.revoked_at, token.revoked_by = now, actor.id if actor is not None else None
        audit.record(actor=actor, action="token.revoked", target_type="token", target_id=token.id,
                     before={"revoked_at": None},
                     after={"revoked_at": now, "name": token.name, "prefix": token.prefix, "user_id": user_id,
                            "reason": "owner deactivated"})
    return len(found)
