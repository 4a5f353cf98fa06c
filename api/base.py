"""The base resource (auth required), request parsing and the operation docs the OpenAPI reads."""
import json
import re
import uuid
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Callable, TypeVar

from flask import Response, g, request
from flask_restful import Resource
from pydantic import BaseModel
from sqlalchemy import Row

from api.errors import BadRequest
from api.schemas import PageOut
from auth import request_credential, request_user, service_token
from db import session
from db.pagination import InvalidCursor, Page
from domain import rules
from domain.errors import Forbidden, PreconditionFailed, ValidationFailed
from workflow import tokens

T = TypeVar("T")


@dataclass
class Operation:
    """What the OpenAPI document says about one method of one resource."""

    summary: str
    tag: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: Any = None
    status: int = 200
    errors: tuple[int, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    public: bool = False
    content_type: str = "application/json"
    #: Other media types the same operation answers with (e.g. `text/csv` for `format=csv`).
    alternatives: tuple[str, ...] = ()
    #: The body may be left out (read with `parse_body(..., optional=True)`): every field has a default.
    optional_body: bool = False
    #: Authenticate by token without loading the user (`g.credential`): the operation's own query
    #: must refuse a deactivated user and a revoked credential. For the hottest polls only.
    id_only: bool = False
    #: Refused to a service token, whatever its scopes (a password sign-in's business): what it would do,
    #: as words after "a service token cannot", e.g. "create service tokens".
    sign_in_only: str | None = None


def operation(**kwargs) -> Callable:
    """Attach an Operation to a resource method."""

    def attach(method):
        method.operation = Operation(**kwargs)
        return method

    return attach


def _authenticated(method):
    @wraps(method)
    def wrapper(*args, **kwargs):
        described = getattr(method, "operation", None)
        if described is not None and described.id_only:
            g.credential = request_credential()
        elif not getattr(described, "public", False):
            g.user = request_user()
        else:
            return method(*args, **kwargs)
        token = service_token()
        if token is not None:
            _within_token(token, described)
        return method(*args, **kwargs)

    return wrapper


def _within_token(token, described: Operation | None) -> None:
    """The one check of every call made with a service token: its use is noted, a read-only token makes no
    writes (domain.rules.token_allows), and no token does what needs a password sign-in."""
    tokens.note_use(token=token)
    if not rules.token_allows(token.scopes, request.method):
        raise Forbidden(
            "this service token is read-only: it may only read (GET); create a token with the write scope to change data",
            {"scopes": sorted(token.scopes)},
        )
    if described is not None and described.sign_in_only:
        refuse_service_token(described.sign_in_only)


def refuse_service_token(action: str) -> None:
    """Forbidden when the caller authenticated with a service token: `action` needs a password sign-in."""
    if service_token() is not None:
        raise Forbidden(f"a service token cannot {action}: sign in with your password to do it")


class BaseResource(Resource):
    """Every API resource: the caller must authenticate unless the operation is public."""

    method_decorators = [_authenticated]


def parse_body(schema: type[BaseModel], optional: bool = False) -> BaseModel:
    """The JSON body validated by `schema`; malformed JSON is 400, invalid fields 422.

    With `optional`, an empty body means `{}` (every field of the schema is optional).
    """
    raw = request.get_data(cache=True)
    if optional and not raw.strip():
        return schema.model_validate({})
    if not request.is_json:
        raise BadRequest("send a JSON body with 'Content-Type: application/json'")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise BadRequest("the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ValidationFailed("the body must be a JSON object", [{"field": "body", "message": "must be an object"}])
    return schema.model_validate(data)


def parse_query(schema: type[BaseModel]) -> BaseModel:
    """Query parameters validated by `schema` (the first value of each)."""
    return schema.model_validate(request.args.to_dict(flat=True))


#: A UUID as the API writes it (and the document's `format: uuid` means): uuid.UUID alone also reads
#: braces, `urn:uuid:` and hex without (or with misplaced) hyphens.
CANONICAL_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def parse_id(value: str, name: str = "id") -> uuid.UUID:
    """A path id; anything but a UUID is a 422 naming the parameter."""
    if not CANONICAL_UUID.fullmatch(value):
        raise ValidationFailed(f"{name} is not a valid UUID", [{"field": name, "message": "must be a UUID"}])
    return uuid.UUID(value)


def me_or(value, caller_id: uuid.UUID) -> Any:
    """`me` in a filter means the caller."""
    return caller_id if value == "me" else value


def dump(schema: type[BaseModel], obj) -> dict:
    """A model instance (or a dict) as the response JSON of `schema`."""
    return schema.model_validate(obj, from_attributes=True).model_dump(mode="json", by_alias=True)


def page_response(page: Page, schema: type[BaseModel], prepare: Callable[[Any, Any], None] | None = None) -> Response:
    """A page as `{"items", "next_cursor"}`, serialised by pydantic in one pass (lists are the hot path)."""
    # A row read as a dict validates in half the time of reading its attributes one by one.
    items = [schema.model_validate(item._asdict()) if isinstance(item, Row) else
             schema.model_validate(item, from_attributes=True) for item in page.items]
    if prepare is not None:
        for out, item in zip(items, page.items):
            prepare(out, item)
    body = PageOut[schema](items=items, next_cursor=page.next_cursor)
    return Response(body.model_dump_json(by_alias=True), mimetype="application/json")


def paged(fetch: Callable[[], T]) -> T:
    """Run a list query; a cursor we did not issue is a 400."""
    try:
        return fetch()
    except InvalidCursor as exc:
        session.rollback()
        raise BadRequest(str(exc), [{"field": "cursor", "message": str(exc)}]) from None


def etag(version: int) -> str:
    return f'"{version}"'


def if_match_version() -> int | None:
    """The version named by `If-Match` (`"3"` or `W/"3"`); `*` or absent is None; junk is 412."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    match = re.fullmatch(r'(?:W/)?"?([0-9]{1,9})"?', header.strip())
    if match is None:
        raise PreconditionFailed("If-Match must be an ETag this API sent")
    return int(match.group(1))

