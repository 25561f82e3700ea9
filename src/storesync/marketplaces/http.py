"""The transport all clients share: pooled httpx, timeouts, correlation ids, a log line per call.

Platform packages decide how to sign a request and how to read an answer; this module sends it,
times it, turns transport failures into the taxonomy and logs the outcome. It knows no vendor.

A call is ONE function (`send_call`) from request to parsed result or `StoreSyncError`, so the
retry layer that comes later can wrap it without reaching inside.

Platform response bodies never leave the process: an answer StoreSync cannot use is described
(status, content type, size, which field was wrong) but never quoted. A malformed token answer
once put a shop's access and refresh tokens into a 502 envelope that way. Every error leaving
`send_call` has its message and details masked (`observability.redact`) as a second line.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Literal, Protocol, TypeVar

import httpx
import structlog
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from storesync.domain.platform import Platform
from storesync.errors import (
    ErrorCode,
    InternalError,
    NetworkError,
    NetworkTimeoutError,
    PlatformAPIError,
    StoreSyncError,
)
from storesync.observability import metrics
from storesync.observability.context import correlation_id as correlation_id_var
from storesync.observability.context import new_correlation_id
from storesync.observability.redact import redact, redact_text

__all__ = [
    "CallOutcome",
    "Timeouts",
    "body_summary",
    "build_http_client",
    "correlation_id_var",
    "parse_retry_after",
    "read_envelope",
    "send_call",
    "translate_transport_error",
]

T = TypeVar("T")

log = structlog.get_logger("storesync.marketplaces")

REQUEST_ID_HEADER = "X-Request-ID"


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds. Read covers the platform's slowest documented call; connect fails fast so a dead
    host costs little of the in-call retry budget (< 10 s, docs/reliability.md#in-call-retries;
    timeouts in docs/reliability.md#timeouts)."""

    connect_s: float = 3.0
    read_s: float = 15.0
    write_s: float = 15.0
    pool_s: float = 3.0

    def as_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(
            connect=self.connect_s, read=self.read_s, write=self.write_s, pool=self.pool_s
        )


def build_http_client(timeouts: Timeouts, *, max_connections: int = 20) -> httpx.Client:
    # One pool per client; keep-alive matters: signing is cheap, TLS handshakes are not.
    return httpx.Client(
        timeout=timeouts.as_httpx(),
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=10),
        follow_redirects=False,
        headers={"User-Agent": "storesync/0.1"},
    )


def current_request_id() -> str:
    """The bound correlation id, or a fresh one for this call only (never bound from here)."""
    return correlation_id_var.get() or new_correlation_id()


Method = Literal["GET", "POST"]  # all either platform uses
M = TypeVar("M", bound=BaseModel)  # the pydantic schema a call's answer is read into


@dataclass(frozen=True, slots=True)
class CallOutcome(Generic[T]):
    """What a platform's response reader returns: the value and the vendor's request id."""

    value: T
    vendor_request_id: str | None = None


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class ErrorTable(Protocol):
    """A platform's `errors.error_from_response`: the taxonomy error for an answer, or None."""

    def __call__(
        self,
        http_status: int,
        payload: Mapping[str, Any] | None,
        headers: Mapping[str, str],
        *,
        path: str,
        raw_text: str = "",
    ) -> StoreSyncError | None: ...


def read_envelope(
    response: httpx.Response, *, path: str, errors: ErrorTable
) -> CallOutcome[dict[str, Any]]:
    """The answer's JSON object, after the platform's table found no error in it."""
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        payload = None
    # The tables keep `raw_text` in the error's details: give them the description, not the body.
    error = errors(
        response.status_code, payload, response.headers, path=path, raw_text=body_summary(response)
    )
    if error is not None:
        raise error
    # Both tables report an error for a body that is not a JSON object.
    assert payload is not None
    request_id = payload.get("request_id")
    return CallOutcome(payload, request_id if isinstance(request_id, str) else None)


def translate_transport_error(
    exc: httpx.HTTPError, *, platform: Platform, method: str, path: str
) -> StoreSyncError:
    """Failures below HTTP: nothing came back from the platform, so there is no vendor code."""
    details: dict[str, Any] = {
        "platform": platform.value,
        "method": method,
        "path": path,
        "exception": type(exc).__name__,
    }
    # httpx puts the URL in some messages (InvalidURL), and Shopee's query carries access_token.
    message = redact_text(f"{platform.value} {method} {path}: {type(exc).__name__}: {exc}")
    if isinstance(exc, httpx.TimeoutException):
        # PoolTimeout included: our own pool was exhausted for pool_s, same remedy (back off).
        return NetworkTimeoutError(message, details=details)
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        # A misconfigured base URL is our bug, not the network's; retrying cannot help.
        return InternalError(message, details=details)
    if isinstance(exc, httpx.TransportError):
        # ConnectError (DNS, refused), ReadError/WriteError (resets), protocol errors, proxies.
        return NetworkError(message, details=details)
    return PlatformAPIError(message, details=details)


def send_call(
    http: httpx.Client,
    request: httpx.Request,
    *,
    platform: Platform,
    path: str,
    read: Callable[[httpx.Response], CallOutcome[T]],
) -> T:
    """Send `request`, let `read` interpret the answer, log one line, raise only StoreSyncError."""
    request.headers[REQUEST_ID_HEADER] = request.headers.get(REQUEST_ID_HEADER) or (
        current_request_id()
    )
    started = time.perf_counter()
    status: int | None = None
    vendor_request_id: str | None = None
    outcome = "ok"
    code: str | None = None  # the taxonomy code the call failed with, for the metrics
    try:
        try:
            response = http.send(request)
        except httpx.HTTPError as exc:
            raise translate_transport_error(
                exc, platform=platform, method=request.method, path=path
            ) from exc
        status = response.status_code
        try:
            result = read(response)
        except (ValueError, KeyError, TypeError) as exc:
            # The answer did not have the documented shape (pydantic errors are ValueErrors).
            # Not our input's fault and maybe transient (a proxy's HTML page): retryable.
            raise PlatformAPIError(
                f"{platform.value} {request.method} {path}: unreadable response: "
                + describe_unreadable(exc),
                details={
                    "platform": platform.value,
                    "path": path,
                    "http_status": status,
                    "body": body_summary(response),
                },
            ) from exc
        vendor_request_id = result.vendor_request_id
        return result.value
    except StoreSyncError as err:
        _mask(err)
        outcome = type(err).__name__
        code = err.code.value
        request_id = err.details.get("request_id")
        vendor_request_id = request_id if isinstance(request_id, str) else None
        raise
    except Exception:
        code = ErrorCode.INTERNAL_ERROR.value  # a reader's bug: the call did not succeed
        raise
    finally:
        observe_call(platform, path, time.perf_counter() - started, code)
        log.info(
            "marketplace_call",
            platform=platform.value,
            method=request.method,
            path=path,
            status=status,
            latency_ms=round((time.perf_counter() - started) * 1000, 1),
            vendor_request_id=vendor_request_id,
            outcome=outcome,
            correlation_id=request.headers[REQUEST_ID_HEADER],
        )


# Endpoint families by a word of the path, named as resilience/families.py names them, so the
# request counters sit beside the rate-limit ones on a dashboard. The first match wins; the
# path itself is never a label (TikTok's carry product ids). This layer sees paths, not protocol
# methods, so it differs from the rate budget's family where a method borrows another family's
# path: a Shopee stock read (product info paths) and the shop lookup while connecting count as
# catalog here.
PATH_FAMILIES = (
    (("token", "auth"), "auth"),
    (("stock", "inventory"), "stock"),
    (("order",), "orders"),
    (("push",), "push"),
)


def family_of(path: str) -> str:
    lowered = path.lower()
    for words, family in PATH_FAMILIES:
        if any(word in lowered for word in words):
            return family
    return "catalog"


def observe_call(platform: Platform, path: str, seconds: float, code: str | None) -> None:
    family = family_of(path)
    metrics.platform_request_duration_seconds.labels(platform.value, family).observe(seconds)
    outcome = "ok" if code is None else "error"
    metrics.platform_requests_total.labels(platform.value, family, outcome, code or "").inc()


def body_summary(response: httpx.Response) -> str:
    """What an answer was, without what it said: enough to tell an HTML error page or an empty
    body from a JSON answer of the wrong shape."""
    kind = response.headers.get("content-type", "").split(";")[0].strip() or "no content type"
    return f"HTTP {response.status_code}, {kind}, {len(response.content)} bytes"


def describe_unreadable(exc: Exception) -> str:
    """Which fields were wrong, never their values: pydantic's own message quotes the input
    (`input_value={'access_token': ...}`), and the input is the platform's answer."""
    if isinstance(exc, PydanticValidationError):
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
            for e in exc.errors(include_url=False, include_input=False, include_context=False)
        ]
        more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
        return "; ".join(problems[:3]) + more
    if isinstance(exc, KeyError):
        return f"missing field {exc}"
    return type(exc).__name__


def _mask(err: StoreSyncError) -> None:
    # The last point an error passes before envelopes, job records and dead letters: whatever a
    # platform table put into it, secret-named fields and token-looking text go no further.
    err.message = redact_text(err.message)
    err.details = redact(err.details)
    err.args = (err.message,)
