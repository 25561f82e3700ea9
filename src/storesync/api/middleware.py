"""Request context: correlation id in and out, one access-log line, and the last-resort 500.

A pure ASGI middleware rather than BaseHTTPMiddleware: it sees the exception of a failing handler
before Starlette's outermost ServerErrorMiddleware would render a bare 500 without our header, so
even a crash answers with the envelope and `X-Request-ID`.
"""

from __future__ import annotations

import time

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storesync.api.envelope import error_response
from storesync.errors import InternalError
from storesync.observability import metrics
from storesync.observability.context import (
    correlation_id,
    is_valid_correlation_id,
    new_correlation_id,
)

log = structlog.get_logger("storesync.http")
HEADER = b"x-request-id"


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(HEADER, b"").decode("latin-1")
        cid = incoming if is_valid_correlation_id(incoming) else new_correlation_id()
        token = correlation_id.set(cid)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                message["headers"] = [*headers, (HEADER, cid.encode("latin-1"))]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled_exception", path=scope.get("path"))
            if response_started:
                raise
            await error_response(InternalError())(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            route_path = getattr(route, "path", None) or "unmatched"
            elapsed = time.perf_counter() - started
            metrics.observe_http(scope.get("method", "GET"), route_path, status, elapsed)
            log.info(
                "http_request",
                method=scope.get("method"),
                path=scope.get("path"),
                status=status,
                duration_ms=round(elapsed * 1000, 1),
            )
            correlation_id.reset(token)
