"""Transport hardening: what every request passes before a handler sees it.

Pure ASGI, like `middleware.py`, so a refusal happens before the app reads anything (a body over
the cap is refused before a byte of it is read or HMAC'd). From the outside in (`install`):

  SecurityHeaders    nosniff, no framing, no referrer, a CSP: on every response, the request
                     context's last-resort 500 included (it only adds headers, so it may sit
                     outside the context without any refusal losing its X-Request-ID)
  RequestContext     middleware.py: correlation id, access log, metrics, the last-resort 500
  AllowedHosts       a Host name that is not ours → 400: a DNS-rebinding page never gets in
  NoNulBytes         a NUL in the path or query → 400: PostgreSQL text cannot hold one, so it
                     would reach the database and come back as a DataError (a 503)
  InboundRateLimit   inbound_limit.py: per API key or client address → 429 with Retry-After
  BodyLimit          Content-Length over the cap → 413 at once; other bodies counted as they stream

Every refusal is the envelope and is counted in `storesync_http_refused_total{reason}`.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
from collections.abc import Iterable
from typing import ClassVar
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storesync.api.envelope import error_response
from storesync.api.inbound_limit import InboundRateLimitMiddleware
from storesync.api.middleware import RequestContextMiddleware
from storesync.config import Settings
from storesync.errors import StoreSyncError, ValidationError
from storesync.observability import metrics

# A DNS-rebinding page's requests carry the attacker's host name: a browser never lets a page
# send another Host. So loopback names and any IP address are safe to answer (probes, scrapers
# and the CLI reach the server by address: Kubernetes sends the pod's IP as the Host).
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
DOCS_PATH = "/docs"
# FastAPI's Swagger UI page loads its bundle and stylesheet from here (a test checks the page
# still does), plus FastAPI's favicon.
SWAGGER_CDN = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/"
SWAGGER_FAVICON = "https://fastapi.tiangolo.com/img/favicon.png"

BASE_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),  # old browsers; the rest read frame-ancestors
    ("Referrer-Policy", "no-referrer"),
)
# JSON never needs to load anything; if a browser renders one, nothing runs and nothing frames it.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# The login and OAuth pages are plain forms without scripts or styles.
PAGE_CSP = (
    "default-src 'self'; base-uri 'none'; object-src 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)
LENGTH = re.compile(r"\s*[0-9]+\s*")
HSTS = "max-age=31536000"


class BadRequestError(ValidationError):
    """A request this server will not read at all (HTTP's 400, not the 422 of bad fields)."""

    http_status = 400


class BodyTooLargeError(ValidationError):
    http_status = 413
    default_message = "The request body is too large."


async def refuse(
    scope: Scope, receive: Receive, send: Send, error: StoreSyncError, why: str
) -> None:
    metrics.http_refused_total.labels(why).inc()
    await error_response(error)(scope, receive, send)


def install(app: FastAPI, settings: Settings) -> None:
    """The middleware in the docstring's order (Starlette: the last added is outermost)."""
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        InboundRateLimitMiddleware,
        rate_per_s=settings.api_rate_limit_rps,
        burst=settings.api_rate_limit_burst,
    )
    app.add_middleware(NoNulBytesMiddleware)
    app.add_middleware(AllowedHostsMiddleware, hosts=allowed_hosts(settings))
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(
        SecurityHeadersMiddleware, https=settings.effective_public_url.startswith("https://")
    )


# --- allowed hosts -----------------------------------------------------------------------------


def allowed_hosts(settings: Settings) -> frozenset[str]:
    """STORESYNC_ALLOWED_HOSTS, else the public URL's host; loopback names always."""
    configured = settings.allowed_hosts or [urlsplit(settings.effective_public_url).hostname or ""]
    return frozenset(_normal(name) for name in configured if name.strip()) | LOOPBACK


def host_name(header: str) -> str:
    """The name of a Host header without its port: `[::1]:3000` → `::1`, `a.b:80` → `a.b`."""
    value = header.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        return value[1:end] if end > 0 else ""
    if value.count(":") == 1:
        value = value.split(":", 1)[0]
    return value.rstrip(".")


def _normal(name: str) -> str:
    return name.strip().lower().strip("[]").rstrip(".")


def host_allowed(name: str, allowed: Iterable[str]) -> bool:
    if _is_address(name):
        return True
    for pattern in allowed:
        if pattern == "*" or name == pattern:
            return True
        if pattern.startswith("*.") and name.endswith(pattern[1:]):
            return True
    return False


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class AllowedHostsMiddleware:
    def __init__(self, app: ASGIApp, hosts: frozenset[str]) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            header = _header(scope, b"host")
            if header is None or not host_allowed(host_name(header), self.hosts):
                error = BadRequestError(
                    "This server does not answer for that host name.",
                    details={"host": (header or "")[:100]},
                )
                await refuse(scope, receive, send, error, "host")
                return
        await self.app(scope, receive, send)


class NoNulBytesMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and ("\x00" in scope["path"] or b"%00" in scope["query_string"]):
            error = BadRequestError("The path or query contains a NUL byte.")
            await refuse(scope, receive, send, error, "nul_byte")
            return
        await self.app(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


# --- request body cap --------------------------------------------------------------------------


class _Overflow(Exception):
    """Raised into the app's read of the body once it crossed the cap."""


class BodyLimitMiddleware:
    """Bodies above `max_bytes` are refused with 413 and never buffered past the cap.

    A declared Content-Length over the cap is refused before the app runs. A body of unknown
    length (chunked) is counted as it streams: the read that crosses the cap raises into the app,
    and whatever the app then answers is replaced by the 413 (a handler that catches errors of its
    own must not turn it into a 400 or a 200). Starlette's RequestBodyLimitMiddleware (FastAPI's
    `max_body_size`) waits for the app to read and answers in plain text or `{"detail"}`, not
    the envelope.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> BodyTooLargeError:
        return BodyTooLargeError(
            f"Request bodies are limited to {self.max_bytes} bytes.",
            details={"max_bytes": self.max_bytes},
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not LENGTH.fullmatch(declared):
                error = BadRequestError("Content-Length is not a number.")
                await refuse(scope, receive, send, error, "bad_length")
                return
            # The length check first: int() of a 5,000-digit header would itself raise.
            if len(declared.strip()) > 18 or int(declared) > self.max_bytes:
                await refuse(scope, receive, send, self._too_large(), "body_too_large")
                return
        await self._streamed(scope, receive, send)

    async def _streamed(self, scope: Scope, receive: Receive, send: Send) -> None:
        received = 0
        over = answered = started = False

        async def counted() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    over = True
                    raise _Overflow
            return message

        async def answer() -> None:
            nonlocal answered
            if not answered and not started:  # a response already under way cannot be replaced
                answered = True
                await refuse(scope, receive, send, self._too_large(), "body_too_large")

        async def guarded(message: Message) -> None:
            nonlocal started
            if not over:
                started = started or message["type"] == "http.response.start"
                await send(message)
            elif message["type"] == "http.response.start":
                await answer()

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not over:
                raise
        if over:
            await answer()


# --- security headers --------------------------------------------------------------------------


def docs_csp(page: bytes) -> str:
    """The Swagger UI page's policy: its CDN bundle and stylesheet, its one inline bootstrap
    script by hash (no 'unsafe-inline' for scripts), the spec fetched from us. Styles do allow
    inline: Swagger UI's bundle sets style attributes (swagger-ui issues 3370 and 10655), and a
    style cannot run code."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
        for body in INLINE_SCRIPT.findall(page)
    )
    return (
        f"default-src 'none'; script-src {SWAGGER_CDN} {hashes}; "
        f"style-src {SWAGGER_CDN} 'unsafe-inline'; img-src 'self' data: {SWAGGER_FAVICON}; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


class SecurityHeadersMiddleware:
    BUFFERED_LIMIT: ClassVar[int] = 64 * 1024  # the docs page is ~1 KB; never hold more

    def __init__(self, app: ASGIApp, https: bool) -> None:
        self.app = app
        # Only when the public URL is https: browsers ignore it over http anyway, and the
        # embedded default on 127.0.0.1 is plain http.
        self.extra = (("Strict-Transport-Security", HSTS),) if https else ()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == DOCS_PATH:
            await self.app(scope, receive, self._docs_sender(send))
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                html = self._stamp(message)
                MutableHeaders(scope=message)["Content-Security-Policy"] = (
                    PAGE_CSP if html else API_CSP
                )
            await send(message)

        await self.app(scope, receive, with_headers)

    def _stamp(self, message: Message) -> bool:
        """Add the common headers; True when the response is an HTML page."""
        headers = MutableHeaders(scope=message)
        for name, value in (*BASE_HEADERS, *self.extra):
            headers[name] = value
        return headers.get("content-type", "").startswith("text/html")

    def _docs_sender(self, send: Send) -> Send:
        """Holds the docs page until its body is complete, to hash its inline script."""
        start: Message | None = None
        body = b""

        async def sender(message: Message) -> None:
            nonlocal start, body
            if message["type"] == "http.response.start":
                if not self._stamp(message):
                    MutableHeaders(scope=message)["Content-Security-Policy"] = API_CSP
                    await send(message)
                    return
                start = message
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            body += message.get("body", b"")
            if message.get("more_body", False) and len(body) < self.BUFFERED_LIMIT:
                return
            MutableHeaders(scope=start)["Content-Security-Policy"] = docs_csp(body)
            more = message.get("more_body", False)
            await send(start)
            await send({"type": "http.response.body", "body": body, "more_body": more})
            start, body = None, b""

        return sender
