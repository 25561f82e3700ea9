"""Codes, their playbook data, and the exception classes carrying it (tree: package docstring)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from storesync.errors.severity import Severity


class ErrorCode(enum.StrEnum):
    VALIDATION_ERROR = "VALIDATION_ERROR"
    AUTHENTICATION_ERROR = "AUTHENTICATION_ERROR"
    AUTHORIZATION_ERROR = "AUTHORIZATION_ERROR"
    PLATFORM_API_ERROR = "PLATFORM_API_ERROR"
    SYNC_ERROR = "SYNC_ERROR"
    RATE_LIMIT_ERROR = "RATE_LIMIT_ERROR"
    NETWORK_ERROR = "NETWORK_ERROR"
    DATABASE_ERROR = "DATABASE_ERROR"
    INTERNAL_ERROR = "INTERNAL_ERROR"


@dataclass(frozen=True)
class CodeInfo:
    """What the playbook says about one error type."""

    severity: Severity
    retryable: bool
    http_status: int
    action: str


CODE_INFO: Mapping[ErrorCode, CodeInfo] = {
    ErrorCode.VALIDATION_ERROR: CodeInfo(Severity.LOW, False, 422, "Fix the input and try again."),
    ErrorCode.AUTHENTICATION_ERROR: CodeInfo(
        Severity.HIGH, False, 401, "Re-authenticate: sign in again or reconnect the shop."
    ),
    ErrorCode.AUTHORIZATION_ERROR: CodeInfo(
        Severity.HIGH, False, 403, "Check the permissions of the user or the app's granted scopes."
    ),
    ErrorCode.PLATFORM_API_ERROR: CodeInfo(
        Severity.MEDIUM, True, 502, "Check the platform's status; the call is retried with backoff."
    ),
    ErrorCode.SYNC_ERROR: CodeInfo(
        Severity.MEDIUM, False, 409, "Review the sync job's log and resolve the conflict by hand."
    ),
    ErrorCode.RATE_LIMIT_ERROR: CodeInfo(
        Severity.MEDIUM, True, 429, "Back off; requests are queued and sent when the limit allows."
    ),
    ErrorCode.NETWORK_ERROR: CodeInfo(
        Severity.MEDIUM,
        True,
        503,
        "Retried with exponential backoff; check connectivity if it lasts.",
    ),
    ErrorCode.DATABASE_ERROR: CodeInfo(
        Severity.HIGH, True, 503, "Check the database's health and escalate."
    ),
    ErrorCode.INTERNAL_ERROR: CodeInfo(
        Severity.CRITICAL, False, 500, "Investigate immediately: this is a bug."
    ),
}


class StoreSyncError(Exception):
    """Base of the taxonomy: class attributes hold the playbook defaults; instances refine them."""

    code: ClassVar[ErrorCode]
    http_status: ClassVar[int]
    retryable: ClassVar[bool]
    default_severity: ClassVar[Severity]
    action: ClassVar[str]
    default_message: ClassVar[str] = "An error occurred."

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A subclass that names a new code picks up the playbook's data for it; a subclass that
        # only refines (e.g. NotFoundError) keeps its parent's and overrides what it declares.
        code = cls.__dict__.get("code")
        if code is not None:
            info = CODE_INFO[code]
            for attr, value in (
                ("http_status", info.http_status),
                ("retryable", info.retryable),
                ("default_severity", info.severity),
                ("action", info.action),
            ):
                if attr not in cls.__dict__:
                    setattr(cls, attr, value)

    def __init__(
        self,
        message: str | None = None,
        *,
        details: Mapping[str, Any] | None = None,
        severity: Severity | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.details: dict[str, Any] = dict(details or {})
        # A concrete error may raise its class's severity (a data-integrity failure is critical),
        # never lower it: the class default is the playbook's floor.
        self.severity = (
            self.default_severity if severity is None else severity.at_least(self.default_severity)
        )
        self.retry_after = retry_after
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        """The envelope body without the correlation id (the boundary adds that)."""
        return {
            "code": self.code.value,
            "message": self.message,
            "severity": self.severity.value,
            "action": self.action,
            "details": self.details,
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, details={self.details!r})"


class ValidationError(StoreSyncError):
    code = ErrorCode.VALIDATION_ERROR
    default_message = "The request is not valid."


class NotFoundError(ValidationError):
    http_status = 404
    default_message = "Not found."


class AuthenticationError(StoreSyncError):
    code = ErrorCode.AUTHENTICATION_ERROR
    default_message = "Authentication failed."


class TokenExpiredError(AuthenticationError):
    """The access token expired: refresh it once and retry the call; only then is it final."""

    default_message = "The access token has expired; refresh it."


class AuthorizationError(StoreSyncError):
    code = ErrorCode.AUTHORIZATION_ERROR
    default_message = "Not allowed."


class PlatformAPIError(StoreSyncError):
    code = ErrorCode.PLATFORM_API_ERROR
    default_message = "The marketplace API failed."


class PlatformRejectedError(PlatformAPIError):
    """The platform understood the call and said no (a business rule): retrying will not help."""

    retryable = False
    default_message = "The marketplace rejected the request."


class SyncError(StoreSyncError):
    code = ErrorCode.SYNC_ERROR
    default_message = "Synchronisation failed."


class SyncConflictError(SyncError):
    default_message = "Both sides changed since the last sync."


class RateLimitError(StoreSyncError):
    code = ErrorCode.RATE_LIMIT_ERROR
    default_message = "Too many requests."


class NetworkError(StoreSyncError):
    code = ErrorCode.NETWORK_ERROR
    default_message = "The network call failed."


class NetworkTimeoutError(NetworkError):
    http_status = 504
    default_message = "The call timed out."


class DatabaseError(StoreSyncError):
    code = ErrorCode.DATABASE_ERROR
    default_message = "The database is unavailable."


class DataIntegrityError(DatabaseError):
    retryable = False
    default_severity = Severity.CRITICAL
    http_status = 500
    default_message = "A data-integrity check failed."


class InternalError(StoreSyncError):
    code = ErrorCode.INTERNAL_ERROR
    default_message = "An internal error occurred."


_BY_CODE: dict[ErrorCode, type[StoreSyncError]] = {
    cls.code: cls
    for cls in (
        ValidationError,
        AuthenticationError,
        AuthorizationError,
        PlatformAPIError,
        SyncError,
        RateLimitError,
        NetworkError,
        DatabaseError,
        InternalError,
    )
}


def error_class_for(code: ErrorCode | str) -> type[StoreSyncError]:
    """The base class of a code, e.g. to rebuild an error read back from a dead letter."""
    return _BY_CODE[ErrorCode(code)]
