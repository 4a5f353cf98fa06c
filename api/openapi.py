"""The OpenAPI 3.1 document, generated from the route table and the same pydantic schemas."""
import re
from functools import lru_cache

from pydantic.json_schema import models_json_schema

from api.schemas import ErrorOut

METHODS = ("get", "post", "put", "patch", "delete")
REF = "#/components/schemas/{model}"

ERROR_TEXT = {
    400: "Malformed request (not JSON, bad cursor)",
    401: "Missing, invalid or expired credentials",
    403: "Your role may not do this (or a read-only service token: no writes)",
    404: "Not found",
    409: "Conflict: invalid transition, stale version or duplicate",
    412: "If-Match does not match the current ETag",
    422: "Invalid fields; `details` names each",
    413: "The body is larger than this operation accepts",
    415: "This type of file is not accepted",
    429: "Too many attempts; see Retry-After",
    502: "The file store failed; try again later",
}


def _operations(routes):
    for route in routes:
        for method in METHODS:
            handler = getattr(route.resource, method, None)
            if handler is not None and hasattr(handler, "operation"):
                yield route, method, handler


def _path_params(path: str) -> list[dict]:
    return [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
        for name in re.findall(r"{(\w+)}", path)
    ]


def _drop_null_defaults(node):
    """Remove `"default": null`: "left out" is what it means, and it is not a valid value of non-null fields."""
    if isinstance(node, dict):
        if node.get("default", ...) is None:
            del node["default"]
        for value in node.values():
            _drop_null_defaults(value)
    elif isinstance(node, list):
        for value in node:
            _drop_null_defaults(value)
    return node


@lru_cache(maxsize=1)
def _build(routes: tuple) -> dict:
    models = {(ErrorOut, "serialization")}
    for _route, _method, handler in _operations(routes):
        op = handler.operation
        for model, mode in ((op.body, "validation"), (op.query, "validation"), (op.response, "serialization")):
            if model is not None:
                models.add((model, mode))
    refs, definitions = models_json_schema(sorted(models, key=lambda m: (m[0].__name__, m[1])), ref_template=REF, by_alias=True)
    components = _drop_null_defaults(definitions.get("$defs", {}))

    def resolve(model, mode) -> dict:
        return refs[(model, mode)]

    def properties(model) -> tuple[dict, set]:
        schema = components[resolve(model, "validation")["$ref"].rsplit("/", 1)[-1]]
        return schema.get("properties", {}), set(schema.get("required", []))

    error = {"content": {"application/json": {"schema": resolve(ErrorOut, "serialization")}}}
    paths: dict = {}
    for route, method, handler in _operations(routes):
        op = handler.operation
        parameters = _path_params(route.path)
        if op.query is not None:
            props, required = properties(op.query)
            for name, schema in props.items():
                parameters.append(
                    {
                        "name": name,
                        "in": "query",
                        "required": name in required,
                        "schema": {k: v for k, v in schema.items() if k != "description"},
                        **({"description": schema["description"]} if "description" in schema else {}),
                    }
                )
        if 412 in op.errors:
            parameters.append(
                {
                    "name": "If-Match",
                    "in": "header",
                    "required": False,
                    # Any text: what is not the current ETag (stale, or not an ETag at all) is a 412.
                    "description": 'The ETag you edited (`"3"`) or `*`; anything but the current ETag is refused with 412.',
                    "schema": {"type": "string"},
                }
            )
        success: dict = {"description": op.summary}
        if op.response is not None:
            success["content"] = {op.content_type: {"schema": resolve(op.response, "serialization")}}
            for media_type in op.alternatives:
                success["content"][media_type] = {"schema": {"type": "string"}}
        if op.headers:
            success["headers"] = {
                name: {"description": text, "schema": {"type": "string"}} for name, text in op.headers.items()
            }
        statuses = set(op.errors) | {401}
        if method != "get" and not op.public:
            statuses |= {403}  # what a read-only service token gets for any write
        if op.body is not None or op.query is not None or parameters:
            statuses |= {422}
        if op.body is not None or op.query is not None:
            statuses |= {400}
        if "{" in route.path:
            statuses |= {404}
        responses = {str(op.status): success}
        for status in sorted(statuses):
            responses[str(status)] = {"description": ERROR_TEXT[status], **error}
        entry = {
            "operationId": f"{route.endpoint}_{method}",
            "summary": op.summary,
            "description": (handler.__doc__ or "").strip(),
            "tags": [op.tag],
            "parameters": parameters,
            "responses": responses,
        }
        if op.body is not None:
            entry["requestBody"] = {
                "required": not op.optional_body,
                # A body model may say it is a form (uploads); everything else is JSON.
                "content": {getattr(op.body, "media_type", "application/json"): {"schema": resolve(op.body, "validation")}},
            }
        if op.public:
            entry["security"] = []
        paths.setdefault("/api" + route.path, {})[method] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Workflow Manager API",
            "version": "1.0.0",
            "description": (
                "Tasks, cases, users and notifications. Log in with POST /api/auth/login, then send "
                "`Authorization: Bearer <token>` (or a service token from POST /api/tokens). Lists take `limit` (max 500) and an opaque `cursor`; "
                "errors are `{\"error\": {\"code\", \"message\", \"details\"}}`."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "security": [{"bearerAuth": []}],
    }


def build_document(routes) -> dict:
    """The whole OpenAPI document (built once per process)."""
    return _build(tuple(routes))
