"""Service tokens (personal access tokens): create one (its secret shown once), list, revoke."""
import uuid
from datetime import datetime
from typing import Literal, Optional

from flask import g, url_for
from pydantic import Field, computed_field, field_validator

from api.base import BaseResource, operation, page_response, paged, parse_body, parse_id, parse_query
from api.schemas import Out, PageOut, PageQuery
from domain.schemas import QueryBool, Schema, Text, UtcDatetime
from workflow import tokens

Scope = Literal["read", "write"]


class ServiceTokenCreate(Schema):
    name: Text(1, tokens.MAX_NAME_LENGTH) = Field(description="What the token is for, e.g. `Nightly BI sync`.")
    scopes: list[Scope] = Field(
        default=["read"], min_length=1, max_length=2,
        description="`[\"read\"]` (GET only) or `[\"read\", \"write\"]`; `write` includes `read`.",
    )
    expires_at: Optional[UtcDatetime] = Field(
        default=None,
        description=f"In the future, at most {tokens.MAX_LIFETIME.days} days away; "
                    f"{tokens.DEFAULT_LIFETIME.days} days from now when left out.",
    )


class ServiceTokenQuery(PageQuery):
    user_id: Optional[uuid.UUID] = Field(default=None, description="Only this user's tokens (Admins; others: yourself).")
    active: Optional[QueryBool] = Field(default=None, description="`true`: usable tokens only; `false`: revoked or expired.")


class ServiceTokenOut(Out):
    id: uuid.UUID
    user_id: uuid.UUID
    username: str
    name: str
    prefix: str = Field(description="The secret's first characters, to recognise the token by.")
    scopes: list[Scope]
    created_at: datetime
    expires_at: datetime
    last_used_at: Optional[datetime] = Field(description="To the minute: recorded at most once a minute.")
    revoked_at: Optional[datetime]

    @field_validator("scopes", mode="before")
    @classmethod
    def _split(cls, value):
        return value.split() if isinstance(value, str) else value

    @computed_field
    @property
    def status(self) -> Literal["active", "expired", "revoked"]:
        return tokens.state(self)


class ServiceTokenCreatedOut(ServiceTokenOut):
    token: str = Field(description="The secret: send it as `Authorization: Bearer <token>`. Shown this once only.")


class TokenList(BaseResource):
    @operation(
        summary="Create a service token (shown once)", tag="tokens", body=ServiceTokenCreate,
        response=ServiceTokenCreatedOut, status=201, errors=(403, 409),
        headers={"Location": "URL of the new token (DELETE it to revoke the token)"}, sign_in_only="create service tokens",
    )
    def post(self):
        """{"name", "scopes"?, "expires_at"?} -> 201 ServiceTokenCreatedOut with `token`, the secret, shown this once
        (only its hash is kept). Needs a password sign-in: a service token cannot create tokens (403)."""
        body = parse_body(ServiceTokenCreate)
        issued = tokens.create_token(actor=g.user, name=body.name, scopes=body.scopes, expires_at=body.expires_at)
        out = ServiceTokenCreatedOut.model_validate(
            {**_listed(issued.token, g.user.username), "token": issued.secret}
        )
        return out.model_dump(mode="json"), 201, {"Location": url_for("api.token", token_id=issued.token.id)}

    @operation(summary="List service tokens", tag="tokens", query=ServiceTokenQuery,
               response=PageOut[ServiceTokenOut], errors=(403,))
    def get(self):
        """`?user_id=&active=` -> {"items": [ServiceTokenOut] newest first, "next_cursor"}: your own; an Admin's
        list holds everyone's (each with its owner) unless `user_id` narrows it. Never the secret."""
        query = parse_query(ServiceTokenQuery)
        page = paged(lambda: tokens.list_tokens(
            actor=g.user, user_id=query.user_id, active=query.active, limit=query.limit, cursor=query.cursor,
        ))
        return page_response(page, ServiceTokenOut)


class TokenItem(BaseResource):
    @operation(summary="Revoke a service token", tag="tokens", response=None, status=204, errors=(404,))
    def delete(self, token_id):
        """-> 204; the token is refused (401) from the next request on. Your own, or anyone's for an Admin;
        another user's token is 404 to everyone else. Revoking a revoked token is a 204 too."""
        tokens.revoke_token(actor=g.user, token_id=parse_id(token_id, "token_id"))
        return "", 204


def _listed(token, username: str) -> dict:
    """A token's fields as a list row has them."""
    return {
        "id": token.id, "user_id": token.user_id, "username": username, "name": token.name, "prefix": token.prefix,
        "scopes": token.scopes, "created_at": token.created_at, "expires_at": token.expires_at,
        "last_used_at": token.last_used_at, "revoked_at": token.revoked_at,
    }
