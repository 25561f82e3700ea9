"""Carry the correlation id from whoever enqueued a job into the job's logs and platform calls."""

from __future__ import annotations

from typing import Any

import dramatiq
import structlog

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
        correlation_id.set(None)

    after_skip_message = after_process_message
