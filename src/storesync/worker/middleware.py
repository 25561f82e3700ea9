"""Carry the correlation id from whoever enqueued a job into the job's logs and platform calls;
count how long jobs waited and which errors they ended in."""

from __future__ import annotations

import time
from typing import Any

import dramatiq
import structlog
from dramatiq.common import q_name

from storesync.errors import CODE_INFO, ErrorCode, StoreSyncError
from storesync.observability import metrics
from storesync.observability.context import correlation_id, new_correlation_id

log = structlog.get_logger("storesync.worker")


class CorrelationMiddleware(dramatiq.Middleware):
    def before_enqueue(self, broker: Any, message: Any, delay: Any) -> None:
        message.options.setdefault("correlation_id", correlation_id.get() or new_correlation_id())

    def before_process_message(self, broker: Any, message: Any) -> None:
        correlation_id.set(message.options.get("correlation_id") or new_correlation_id())

    def after_process_message(
        self, broker: Any, message: Any, *, result: Any = None, exception: Any = None
    ) -> None:
        if exception is not None:
            log.warning(
                "job_failed",
                task=message.actor_name,
                attempt=message.options.get("retries", 0),
                error=type(exception).__name__,
                code=getattr(getattr(exception, "code", None), "value", None),
                message=str(exception)[:300],
            )
        # The id stays bound until the next job binds its own: after-hooks run last-added
        # first, and Sentry's middleware, which its SDK puts first, reports the job's exception
        # after this one; cleared here, that report lost the id. drain() restores its caller's.

    after_skip_message = after_process_message


class MetricsMiddleware(dramatiq.Middleware):
    """Job age per queue, and every failed attempt by code and severity: the one place errors
    are counted, since every job's failure passes here whether it is retried, dead-lettered or
    given up on (the dead-letter middleware counts only the last of those)."""

    def before_process_message(self, broker: Any, message: Any) -> None:
        # A delayed job (a retry's backoff, a debounce) is waiting on purpose until its eta.
        ready_ms = max(message.message_timestamp, message.options.get("eta") or 0)
        waited_s = max(0.0, time.time() - ready_ms / 1000)
        metrics.job_age_seconds.labels(q_name(message.queue_name)).observe(waited_s)

    def after_process_message(
        self, broker: Any, message: Any, *, result: Any = None, exception: Any = None
    ) -> None:
        if exception is not None:
            metrics.errors_total.labels(*error_labels(exception)).inc()


def error_labels(exc: BaseException) -> tuple[str, str]:
    """(code, severity) of a failure; outside the taxonomy it is a bug, as for dead letters."""
    if isinstance(exc, StoreSyncError):
        return exc.code.value, exc.severity.value
    internal = ErrorCode.INTERNAL_ERROR
    return internal.value, CODE_INFO[internal].severity.value
