"""Service tokens (personal access tokens) as credentials: the secret's shape, its hash and its lookup.

A secret is `wm_pat_` and 43 random URL-safe characters (256 bits). Only its SHA-256 is stored: the secret
is far too random to guess, so a slow password hash would add nothing but cost to every request. A token
is found by the hash of the whole secret in one indexed lookup; nothing is compared character by
character, so the time taken tells nothing about how much of a guess was right.
"""
import hashlib
import secrets
import uuid
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, select

from db import session
from db.models import ApiToken, User
from db.types import utcnow
from domain.errors import Unauthorized

#: What tells a service token from a sign-in token (a JWT, which starts with `eyJ`).
PREFIX = "wm_pat_"
SECRET_BYTES = 32
#: How much of the secret is kept in clear to tell tokens apart (prefix and 8 of the 43 random characters).
SHOWN_CHARACTERS = len(PREFIX) + 8


class TokenUse(NamedTuple):
    """The service token a request authenticated with: what the API checks its call against."""

    id: uuid.UUID
    user_id: uuid.UUID
    scopes: frozenset[str]
    last_used_at: datetime | None


def is_service_token(token: str) -> bool:
    return token.startswith(PREFIX)


def new_secret() -> str:
    """A fresh secret, shown to its owner once."""
    return PREFIX + secrets.token_urlsafe(SECRET_BYTES)


def digest(secret: str) -> str:
    """What is stored of a secret: its SHA-256 in hex."""
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


def shown_prefix(secret: str) -> str:
    """The part of a secret kept in clear, to recognise the token by."""
    return secret[:SHOWN_CHARACTERS]


def scope_set(scopes: str) -> frozenset[str]:
    """The stored scopes ("read write") as a set."""
    return frozenset(scopes.split())


_LOOKUP = (
    select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == bindparam("digest"))
)


def authenticate(secret: str, now: datetime | None = None) -> tuple[TokenUse, User]:
    """The token with this secret and its owner, in one query; Unauthorized if the token is unknown, revoked
    or expired, or its owner deactivated."""
    found = session.execute(_LOOKUP, {"digest": digest(secret)}).first()
    if found is None:
        raise Unauthorized("invalid token")
    token, user = found
    if token.revoked_at is not None:
        raise Unauthorized("token revoked")
    if token.expires_at <= (now or utcnow()):
        raise Unauthorized("token expired")
    if not user.is_active:
        raise Unauthorized("user is deactivated or unknown")
    return TokenUse(token.id, user.id, scope_set(token.scopes), token.last_used_at), user
