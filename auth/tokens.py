"""Signed JWT access tokens for the API."""
import uuid
from typing import NamedTuple
from datetime import datetime, timedelta, timezone

import jwt
from flask import current_app

from domain.errors import Unauthorized


class Credential(NamedTuple):
    """Who a token or session speaks for, and the user's credential version when it was issued."""

    user_id: uuid.UUID
    version: int


def issue_token(user_id: uuid.UUID, credential_version: int) -> tuple[str, int]:
    """A token for `user_id` at their current `credential_version`, and its lifetime in seconds."""
    config = current_app.config
    now = datetime.now(timezone.utc)
    lifetime = config["JWT_EXPIRES_SECONDS"]
    claims = {
        "sub": str(user_id),
        "iss": config["JWT_ISSUER"],
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(seconds=lifetime),
        "jti": uuid.uuid4().hex,
        "ver": credential_version,
    }
    token = jwt.encode(claims, config["SECRET_KEY"], algorithm=config["JWT_ALGORITHM"])
    return token, lifetime


def read_token(token: str) -> Credential:
    """Whom a valid token was issued to, at which credential version; anything else is Unauthorized."""
    config = current_app.config
    try:
        claims = jwt.decode(
            token,
            config["SECRET_KEY"],
            algorithms=[config["JWT_ALGORITHM"]],  # pinned: `none` and other algorithms fail
            issuer=config["JWT_ISSUER"],
            options={"require": ["sub", "iss", "iat", "exp", "ver"]},
        )
        version = claims["ver"]
        if type(version) is not int:
            raise ValueError("ver")
        return Credential(uuid.UUID(claims["sub"]), version)
    except jwt.ExpiredSignatureError:
        raise Unauthorized("token expired") from None
    except (jwt.InvalidTokenError, ValueError, TypeError):
        raise Unauthorized("invalid token") from None
