"""The queue layer's share of the retry policy (docs/reliability.md#queue-retries), used by
`worker/registry.py`, the one place that maps error classes to queue behaviour.

- An error that says when to come back (a platform 429's Retry-After, a breaker's remaining
  cool-down, our own spent budget) is retried after exactly that, plus up to 20 % jitter so the
  jobs parked on one breaker do not return in the same millisecond. Dramatiq only takes a delay
  from `dramatiq.Retry`, so the error is re-raised as a subclass of both its own class and
  `dramatiq.Retry`: the taxonomy (`.code`, `.retryable`, dead letters) still sees the original
  class, and Dramatiq sees the delay. Everything else keeps the exponential backoff.
- Queue retries are counted by error code, like in-call ones.
"""

from __future__ import annotations

import copy
import functools
import random
from collections.abc import Callable
from typing import Any

import dramatiq

from storesync.errors import StoreSyncError
from storesync.observability import metrics

JITTER = 0.2
MAX_DELAY_MS = 300_000  # the queue's own backoff ceiling: a longer Retry-After is capped there


_DELAYED: dict[type[StoreSyncError], type[StoreSyncError]] = {}


def _delayed_class(cls: type[StoreSyncError]) -> type[StoreSyncError]:
    delayed = _DELAYED.get(cls)
    if delayed is None:
        delayed = _DELAYED[cls] = type(
            cls.__name__, (cls, dramatiq.Retry), {"__module__": cls.__module__}
        )
    return delayed


def queue_delay_ms(error: StoreSyncError, rng: random.Random | None = None) -> int | None:
    """The delay an error asks of the queue, or None for the usual backoff."""
    if not error.retryable or error.retry_after is None:
        return None
    jitter = 1.0 + (rng or random).uniform(0.0, JITTER)
    return min(MAX_DELAY_MS, max(1, round(error.retry_after * 1000 * jitter)))


def with_delay(error: StoreSyncError, delay_ms: int) -> StoreSyncError:
    """The same error, also a `dramatiq.Retry(delay=delay_ms)`."""
    delayed = copy.copy(error)
    delayed.__class__ = _delayed_class(type(error))
    delayed.delay = delay_ms  # type: ignore[attr-defined]
    return delayed


def honouring_retry_after(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a task so errors carrying `retry_after` set the queue's retry delay."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except StoreSyncError as exc:
            delay = None if isinstance(exc, dramatiq.Retry) else queue_delay_ms(exc)
            if delay is None:
                raise
            try:
                delayed = with_delay(exc, delay)
            except TypeError:  # an error class whose constructor cannot be replayed by copy
                raise exc from None
            raise delayed from exc

    return run


def count_queue_retry(error: BaseException) -> None:
    code = error.code.value if isinstance(error, StoreSyncError) else "UNKNOWN"
    metrics.retries_total.labels("queue", code).inc()
