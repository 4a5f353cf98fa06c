"""Typed domain errors; the API maps each to one HTTP status in one place."""
from typing import Any


class DomainError(Exception):
    """Base of every error a service function raises on purpose."""

    code = "error"

    def __init__(self, message: str, details: Any = None):
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    code = "not_found"


class Forbidden(DomainError):
    code = "forbidden"


class Unauthorized(DomainError):
    code = "unauthorized"


class InvalidTransition(DomainError):
    code = "invalid_transition"


class Conflict(DomainError):
    code = "conflict"


class StaleVersion(Conflict):
    """The caller's version (body `version`) is not the current one."""

    code = "version_conflict"


class PreconditionFailed(StaleVersion):
    """The caller's `If-Match` is not the current ETag."""

    code = "precondition_failed"


class ValidationFailed(DomainError):
    code = "validation_failed"


class Throttled(DomainError):
    code = "too_many_requests"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message, {"retry_after": retry_after})
        self.retry_after = retry_after


class PayloadTooLarge(DomainError):
    code = "payload_too_large"


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"


class StorageFailed(DomainError):
    """The file store (S3 or the local folder) refused or could not be reached."""

    code = "storage_unavailable"
