"""The one error envelope every API error response uses, and the exception handlers producing it.

`{"error": {"code", "message", "severity", "action", "details", "correlation_id"}}` with the
status the taxonomy assigns. Handlers live here, in one place, so no endpoint renders errors itself.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from storesync.errors import (
    AuthenticationError,
    AuthorizationError,
    DatabaseError,
    InternalError,
    NotFoundError,
    StoreSyncError,
    ValidationError,
)
from storesync.observability.context import current_correlation_id
from storesync.observability.redact import redact

log = structlog.get_logger(__name__)

# A full pool frees up as soon as a few requests finish (tens of ms each); a client that waited
# out the pool timeout (5 s by default) and comes back 2 s later usually finds a connection,
# without a crowd of immediate retries keeping the pool full.
POOL_EXHAUSTED_RETRY_AFTER_S = 2.0


def error_response(error: StoreSyncError) -> JSONResponse:
    # redact(): a second line of defence; clients never quote secrets into details themselves.
    body = {"error": {**redact(error.to_dict()), "correlation_id": current_correlation_id()}}
    headers = {}
    if error.retry_after is not None:
        headers["Retry-After"] = str(max(1, round(error.retry_after)))
    return JSONResponse(body, status_code=error.http_status, headers=headers)


def _http_exception_error(exc: StarletteHTTPException) -> StoreSyncError:
    message = exc.detail if isinstance(exc.detail, str) else None
    if exc.status_code == 404:
        return NotFoundError(message if message and message != "Not Found" else "No such resource.")
    if exc.status_code == 401:
        return AuthenticationError(message)
    if exc.status_code == 403:
        return AuthorizationError(message)
    if exc.status_code >= 500:
        return InternalError()
    error = ValidationError(message)
    # 405 Method Not Allowed and friends keep their own status; the code is still a client error.
    error.http_status = exc.status_code  # type: ignore[misc]
    return error


def _field_details(exc: RequestValidationError) -> dict[str, Any]:
    fields = []
    for err in exc.errors():
        location = [str(part) for part in err.get("loc", ())]
        fields.append(
            {
                "field": ".".join(location[1:]) or ".".join(location),
                "location": location[0] if location else "body",
                "message": err.get("msg", "invalid"),
                "type": err.get("type", "value_error"),
            }
        )
    return {"fields": fields}


def install_error_handlers(app: FastAPI) -> None:
    async def on_storesync_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StoreSyncError)
        if exc.http_status >= 500:
            # exc_info: Sentry (when on) gets the traceback, not only the code and the id.
            log.error("request_failed", code=exc.code.value, error=exc.message, exc_info=exc)
        return error_response(exc)

    async def on_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return error_response(
            ValidationError("The request is not valid.", details=_field_details(exc))
        )

    async def on_http(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        response = error_response(_http_exception_error(exc))
        # Starlette's own headers, e.g. the `Allow` a 405 must carry (RFC 9110, 15.5.6).
        response.headers.update(exc.headers or {})
        return response

    async def on_database(_: Request, exc: Exception) -> JSONResponse:
        # Driver messages carry host names and SQL: log them, never send them.
        log.error("database_unavailable", error=str(exc).splitlines()[0][:300])
        return error_response(DatabaseError())

    async def on_pool_exhausted(_: Request, exc: Exception) -> JSONResponse:
        # Not a DBAPIError: the pool raises it before any driver is involved. The PostgreSQL pool
        # counts it (storesync_db_pool_exhausted_total); the database itself may be healthy.
        log.error("database_pool_exhausted", error=str(exc).splitlines()[0][:300])
        return error_response(
            DatabaseError(
                "Every database connection is in use; retry shortly.",
                details={"driver_error": "PoolTimeout"},
                retry_after=POOL_EXHAUSTED_RETRY_AFTER_S,
            )
        )

    app.add_exception_handler(StoreSyncError, on_storesync_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(OperationalError, on_database)
    app.add_exception_handler(DBAPIError, on_database)
    app.add_exception_handler(PoolTimeoutError, on_pool_exhausted)
