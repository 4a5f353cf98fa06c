"""Signed JWT access tokens for the API."""
import uuid
from datetime import datetime, timedelta, timezone

import jwt
from flask import current_app

from domain.errors import Unauthorized


def issue_token(user_id: uuid.UUID) -> tuple[str, int]:
    """A token for `user_id` and its lifetime in seconds."""
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
    }
    token = jwt.encode(claims, config["SECRET_KEY"], algorithm=config["JWT_ALGORITHM"])
    return token, lifetime


def read_token(token: str) -> uuid.UUID:
    """The user id a valid token was issued to; anything else is Unauthorized."""
    config = current_app.config
    try:
        claims = jwt.decode(
            token,
            config["SECRET_KEY"],
            algorithms=[config["JWT_ALGORITHM"]],  # pinned: `none` and other algorithms fail
            issuer=config["JWT_ISSUER"],
            options={"require": ["sub", "iss", "iat", "exp"]},
        )
        return uuid.UUID(claims["sub"])
    except jwt.ExpiredSignatureError:
        raise Unauthorized("token expired") from None
    except (jwt.InvalidTokenError, ValueError, TypeError):
        raise Unauthorized("invalid token") from None
