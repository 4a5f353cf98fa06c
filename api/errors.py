"""The error envelope and the one place domain errors become HTTP statuses."""
import logging

from flask import jsonify
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

import db
from api.schemas import field_name
from domain import errors

log = logging.getLogger(__name__)

STATUS_BY_ERROR: list[tuple[type[errors.DomainError], int]] = [
    (errors.PreconditionFailed, 412),
    (errors.StaleVersion, 409),
    (errors.InvalidTransition, 409),
    (errors.Conflict, 409),
    (errors.NotFound, 404),
    (errors.Forbidden, 403),
    (errors.Unauthorized, 401),
    (errors.ValidationFailed, 422),
    (errors.Throttled, 429),
    (errors.PayloadTooLarge, 413),
    (errors.UnsupportedMediaType, 415),
    (errors.StorageFailed, 502),
]

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    503: "service_unavailable",
}


class BadRequest(errors.DomainError):
    """A request the server cannot read (malformed JSON, wrong content type)."""

    code = "bad_request"


def envelope(status: int, code: str, message: str, details=None, headers=None):
    response = jsonify({"error": {"code": code, "message": message, "details": details}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def validation_details(exc: ValidationError) -> list[dict]:
    """Pydantic errors as [{field, message}], field named as the client sent it."""
    return [
        {"field": field_name(error["loc"]), "message": error["msg"]}
        for error in exc.errors(include_url=False, include_context=False, include_input=False)
    ]


def to_response(exc: Exception):
    """Any exception raised while serving /api as an enveloped JSON response."""
    if isinstance(exc, BadRequest):
        return envelope(400, exc.code, exc.message, exc.details)
    if isinstance(exc, errors.DomainError):
        status = next(status for kind, status in STATUS_BY_ERROR if isinstance(exc, kind))
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, errors.Throttled) else None
        return envelope(status, exc.code, exc.message, exc.details, headers)
    if isinstance(exc, ValidationError):
        return envelope(422, "validation_failed", "invalid fields", validation_details(exc))
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        headers = {}
        if status == 405 and exc.valid_methods:
            headers["Allow"] = ", ".join(exc.valid_methods)
        return envelope(status, HTTP_CODES.get(status, "http_error"), exc.description or exc.name, None, headers)
    if db.unavailable(exc):
        return unavailable_response(exc)
    log.exception("unhandled error serving an API request")
    return envelope(500, "internal_error", "internal server error")


def unavailable_response(exc: Exception):
    """503 with Retry-After: the database cannot be reached now, the same request may work shortly."""
    # One line, no traceback: an outage makes one of these per request.
    log.warning("database unavailable: %s", str(exc).partition("\n")[0])
    retry = {"Retry-After": str(db.RETRY_AFTER_SECONDS)}
    return envelope(503, "service_unavailable", "the service is temporarily unavailable; try again shortly", None, retry)
