"""The one error taxonomy of StoreSync, straight from the error-handling playbook.

Every failure anywhere in the product ends up as one of these classes. Vendor errors are
translated into them at the marketplace-client boundary; the HTTP layer renders them in one
envelope; the worker reads `retryable` / `retry_after` to decide what the queue does; incidents
read `severity`.

  StoreSyncError                      (abstract; never raised as itself)
   ├── ValidationError                VALIDATION_ERROR      low       not retried   422
   │    └── NotFoundError             VALIDATION_ERROR      low       not retried   404
   ├── AuthenticationError            AUTHENTICATION_ERROR  high      not retried   401
   │    └── TokenExpiredError         AUTHENTICATION_ERROR  high      refresh once, then retry
   ├── AuthorizationError             AUTHORIZATION_ERROR   high      not retried   403
   ├── PlatformAPIError               PLATFORM_API_ERROR    medium+   retried       502
   │    └── PlatformRejectedError     PLATFORM_API_ERROR    medium+   not retried   502
   ├── SyncError                      SYNC_ERROR            medium    not retried   409
   │    └── SyncConflictError         SYNC_ERROR            medium    not retried   409
   ├── RateLimitError                 RATE_LIMIT_ERROR      medium    retried       429, Retry-After
   ├── NetworkError                   NETWORK_ERROR         medium    retried       503
   │    └── NetworkTimeoutError       NETWORK_ERROR         medium    retried       504
   ├── DatabaseError                  DATABASE_ERROR        high+     retried       503
   │    └── DataIntegrityError        DATABASE_ERROR        critical  not retried   500
   └── InternalError                  INTERNAL_ERROR        critical  not retried   500

"medium+" / "high+": the playbook gives a range (Medium-High, High-Critical); the class carries the
lower bound and a concrete error may raise it with `severity=` (never lower it).
"""

from __future__ import annotations

from storesync.errors.severity import SEVERITY_POLICIES, Channel, Severity, SeverityPolicy
from storesync.errors.taxonomy import (
    CODE_INFO,
    AuthenticationError,
    AuthorizationError,
    CodeInfo,
    DatabaseError,
    DataIntegrityError,
    ErrorCode,
    InternalError,
    NetworkError,
    NetworkTimeoutError,
    NotFoundError,
    PlatformAPIError,
    PlatformRejectedError,
    RateLimitError,
    StoreSyncError,
    SyncConflictError,
    SyncError,
    TokenExpiredError,
    ValidationError,
    error_class_for,
)

__all__ = [
    "CODE_INFO",
    "SEVERITY_POLICIES",
    "AuthenticationError",
    "AuthorizationError",
    "Channel",
    "CodeInfo",
    "DataIntegrityError",
    "DatabaseError",
    "ErrorCode",
    "InternalError",
    "NetworkError",
    "NetworkTimeoutError",
    "NotFoundError",
    "PlatformAPIError",
    "PlatformRejectedError",
    "RateLimitError",
    "Severity",
    "SeverityPolicy",
    "StoreSyncError",
    "SyncConflictError",
    "SyncError",
    "TokenExpiredError",
    "ValidationError",
    "error_class_for",
]
