"""Errors our own policies raise. Both are retryable so the job waits in the queue and the
desired state stays dirty (nothing is dropped); neither is retried in-call, because the wait they
carry is longer than the in-call budget by construction."""

from __future__ import annotations

from storesync.errors import PlatformAPIError, RateLimitError


class CircuitOpenError(PlatformAPIError):
    """The breaker refused the call: no request left this process."""

    http_status = 503
    default_message = "The circuit breaker for this shop is open; the call was not sent."


class BudgetExhaustedError(RateLimitError):
    """Our own rate budget for the shop and endpoint family is spent for longer than a call may
    block; the platform was not asked (a platform 429 is a plain RateLimitError)."""

    default_message = "The rate budget for this shop is spent; the work waits in the queue."
