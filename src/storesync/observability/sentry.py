"""Error reporting to Sentry: on when `STORESYNC_SENTRY_DSN` is set, for the API and the jobs.

What is sent: failures nobody expected — exceptions outside the taxonomy (bugs) and taxonomy
errors a person must look at (platform, network, database, sync, internal), from a request
(`log.exception` of the request context, `log.error` of a 5xx) or a job (the Dramatiq
integration). Expected errors are dropped: the caller's or the seller's to fix (validation, not
found, authentication, authorization) or already handled by backing off (rate limits) — they are
answered in the envelope and counted in metrics, and would bury the bugs.

Every event is tagged `correlation_id` (the id of the request or job, as in the logs, the API's
X-Request-ID and the job and dead-letter records), `code`, `severity`, `platform` and `shop`.

Nothing secret leaves: no request bodies (webhook payloads, login forms), no cookies or
Authorization headers, no local variables (they hold the tokens a platform call used, under names
no mask knows); and every string of the event, breadcrumbs included, passes `redact` last.

The taxonomy is read by shape (`code`, `severity`, `details`), not imported: observability sits
beside `errors` in the layers and imports nothing of ours (tests/integration/test_sentry.py
checks the codes agree).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from importlib import metadata
from typing import TYPE_CHECKING, Any, Protocol, cast

import sentry_sdk
from sentry_sdk.integrations.dramatiq import DramatiqIntegration
from sentry_sdk.integrations.fastapi import FastApiIntegration
from sentry_sdk.integrations.logging import ignore_logger
from sentry_sdk.integrations.starlette import StarletteIntegration
from sentry_sdk.utils import event_from_exception

from storesync.observability.context import correlation_id
from storesync.observability.redact import redact

if TYPE_CHECKING:
    from sentry_sdk._types import Breadcrumb, BreadcrumbHint, Event, Hint

# The caller's or the seller's to fix, or handled by backing off: answered, counted, not sent.
EXPECTED_CODES = frozenset(
    {"VALIDATION_ERROR", "AUTHENTICATION_ERROR", "AUTHORIZATION_ERROR", "RATE_LIMIT_ERROR"}
)
# What the API and the dead letters call an exception outside the taxonomy: a bug.
BUG = ("INTERNAL_ERROR", "critical")
# Fields of our structlog lines that are already the event's own (message, time, level, tag).
_LOG_NOISE = frozenset({"event", "timestamp", "level", "correlation_id", "exc_info", "logger"})


class SentrySettings(Protocol):
    """What `init_sentry` reads of `config.Settings` (by shape: see the module docstring)."""

    @property
    def sentry_dsn(self) -> str | None: ...

    @property
    def sentry_environment(self) -> str: ...


def init_sentry(settings: SentrySettings) -> bool:
    """Turn error reporting on if a DSN is set; True when it is on. Call it before the broker is
    built: the Dramatiq integration adds its middleware to brokers as they are constructed."""
    dsn = (settings.sentry_dsn or "").strip()
    if not dsn:
        return False
    client = sentry_sdk.get_client()
    if client.is_active() and client.options.get("dsn") == dsn:
        return True  # another container in this process: the SDK is process-wide
    # The worker logs a failed job with the whole message (kwargs: a webhook's body) as it
    # fails; the Dramatiq integration reports the same exception without quoting it.
    ignore_logger("dramatiq.worker.WorkerThread")
    sentry_sdk.init(
        dsn=dsn,
        environment=settings.sentry_environment,
        release=_release(),
        # Only what is named: the auto-enabled ones would add Redis and SQL breadcrumbs
        # (keys, statements) and trace headers on every httpx call to the marketplaces.
        auto_enabling_integrations=False,
        integrations=[StarletteIntegration(), FastApiIntegration(), DramatiqIntegration()],
        # No send_default_pii (deprecated): unset, the SDK sends no cookies, user IP or
        # sensitive headers, and its own scrubber runs before ours.
        include_local_variables=False,
        max_request_body_size="never",  # nor a job's message: its kwargs may be a webhook body
        trace_propagation_targets=[],  # our own X-Request-ID is what crosses process lines
        before_send=before_send,
        before_breadcrumb=before_breadcrumb,
    )
    return True


def before_send(event: Event, hint: Hint) -> Event | None:
    """Drop expected errors; tag the rest; scrub everything."""
    data = cast(dict[str, Any], event)
    fields = _log_fields(hint)
    error = _exception(hint, fields)
    if error is not None and "exception" not in data:
        # A structlog `log.exception(...)` keeps its traceback to itself (the record's exc_info
        # stays empty); this runs inside the logging call, so it is still the one handled.
        data["exception"] = _exception_values(error)
    code, severity, details = _classify(error, fields)
    if code in EXPECTED_CODES:
        return None
    if fields:
        data["logentry"] = {"message": str(fields.get("event", "")), "params": []}
        data.setdefault("extra", {})["log"] = _plain(
            {k: v for k, v in fields.items() if k not in _LOG_NOISE}
        )
    tags = {
        # A line's own id first: the dead-letter line is written off the job's thread.
        "correlation_id": fields.get("correlation_id") or correlation_id.get(),
        "code": code,
        "severity": severity,
        "platform": _first(details, fields, "platform"),
        "shop": _first(details, fields, "shop_id"),
    }
    data.setdefault("tags", {}).update(
        {name: str(value) for name, value in tags.items() if value is not None}
    )
    if details:
        data.setdefault("contexts", {})["error"] = {"details": _plain(details)}
    request = data.get("request")
    if isinstance(request, dict):
        for part in ("data", "cookies"):  # never read ("never"), never sent: belt and braces
            request.pop(part, None)
    scrubbed: Event = redact(data)
    return scrubbed


def before_breadcrumb(crumb: Breadcrumb, hint: BreadcrumbHint) -> Breadcrumb | None:
    """Our log lines as readable crumbs (the event name, then its fields), masked."""
    fields = _log_fields(hint)
    if fields:
        crumb["message"] = str(fields.get("event", ""))
        crumb["data"] = _plain({k: v for k, v in fields.items() if k not in _LOG_NOISE})
    scrubbed: Breadcrumb = redact(crumb)
    return scrubbed


def _log_fields(hint: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a structlog line (its record's msg is the event dict), else empty."""
    record = hint.get("log_record")
    message = getattr(record, "msg", None)
    return dict(message) if isinstance(message, dict) else {}


def _exception(hint: Mapping[str, Any], fields: Mapping[str, Any]) -> BaseException | None:
    exc_info = hint.get("exc_info")
    if exc_info and isinstance(exc_info[1], BaseException):
        return exc_info[1]
    value = fields.get("exc_info")
    if value is True:
        return sys.exc_info()[1]
    if isinstance(value, BaseException):
        return value
    if isinstance(value, tuple) and len(value) == 3 and isinstance(value[1], BaseException):
        return value[1]
    return None


def _exception_values(error: BaseException) -> Any:
    options = sentry_sdk.get_client().options
    built, _ = event_from_exception(
        error, client_options=options, mechanism={"type": "logging", "handled": True}
    )
    return built["exception"]


def _classify(
    error: BaseException | None, fields: Mapping[str, Any]
) -> tuple[str | None, str | None, Mapping[str, Any]]:
    """(code, severity, details) of a taxonomy error, of a bug, or of a log line's fields."""
    code, severity = _enum_value(error, "code"), _enum_value(error, "severity")
    if code is not None and severity is not None:
        details = getattr(error, "details", None)
        return code, severity, details if isinstance(details, Mapping) else {}
    if error is not None:
        return *BUG, {}
    return _text(fields.get("code")), _text(fields.get("severity")), {}


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _enum_value(error: BaseException | None, name: str) -> str | None:
    value = getattr(getattr(error, name, None), "value", None)
    return value if isinstance(value, str) else None


def _first(details: Mapping[str, Any], fields: Mapping[str, Any], name: str) -> object:
    value = details.get(name)
    return value if value is not None else fields.get(name)


def _plain(value: Any) -> Any:
    """JSON-ready: a log line's fields are whatever was passed (enums, exceptions, dates)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)[:1000]


def _release() -> str | None:
    try:
        return "storesync@" + metadata.version("storesync")
    except metadata.PackageNotFoundError:
        return None
