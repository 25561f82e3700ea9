"""In-call retries, the first of the three layers (docs/reliability.md#in-call-retries): at most 3
attempts within 10 s, only for transient classes, with AWS full-jitter backoff and Retry-After
honoured.

A small equal of stamina's loop rather than stamina itself: the clock and the sleep are injected
(tests drive them without sleeping, and see the exact delays chosen), and the retry decision is
one pure function of (error, attempt, elapsed) that the tests call directly. What is retried is
named in `TRANSIENT`; everything else raises at once, after exactly one call.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from storesync.errors import NetworkError, PlatformAPIError, RateLimitError, StoreSyncError
from storesync.resilience.errors import BudgetExhaustedError, CircuitOpenError

T = TypeVar("T")

# Network failures, 5xx-like platform failures and platform 429s: the next attempt may succeed.
TRANSIENT: tuple[type[StoreSyncError], ...] = (NetworkError, PlatformAPIError, RateLimitError)
# Our own policies' refusals wait longer than a call may block: straight to the queue.
DEFER_TO_QUEUE: tuple[type[StoreSyncError], ...] = (CircuitOpenError, BudgetExhaustedError)


def full_jitter(attempt: int, base_s: float, cap_s: float, rng: random.Random) -> float:
    """AWS "full jitter": random(0, min(cap, base * 2**attempt)); attempt 0 is the first retry."""
    return rng.uniform(0.0, min(cap_s, base_s * 2**attempt))


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3  # the first call included
    budget_s: float = 9.0  # no retry starts past this; one attempt is bounded by client timeouts
    base_s: float = 0.25
    cap_s: float = 2.0
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def __post_init__(self) -> None:
        if not 1 <= self.attempts <= 3 or not 0 < self.budget_s < 10:
            raise ValueError("in-call retries are bounded: 1..3 attempts, budget under 10 s")

    def delay(self, error: BaseException, attempt: int, elapsed_s: float) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None to raise `error` now.

        `attempt` counts calls made so far (1 after the first failure)."""
        if not isinstance(error, TRANSIENT) or isinstance(error, DEFER_TO_QUEUE):
            return None
        if not error.retryable or attempt >= self.attempts:
            return None
        if error.retry_after is not None:
            # The platform said when: that is a floor, never shortened by jitter. If it does not
            # fit in what is left of the budget, the queue waits instead of this thread.
            wait = error.retry_after
        else:
            wait = full_jitter(attempt - 1, self.base_s, self.cap_s, self.rng)
        if elapsed_s + wait >= self.budget_s:
            return None
        return wait


NO_RETRY = RetryPolicy(attempts=1)


def call_with_retries(
    fn: Callable[[], T],
    policy: RetryPolicy,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[StoreSyncError, int, float], None] | None = None,
) -> T:
    """Run `fn`, retrying what `policy.delay` allows; `on_retry(error, attempt, wait)` counts."""
    started = clock()
    attempt = 0
    while True:
        attempt += 1
        try:
            return fn()
        except StoreSyncError as exc:
            wait = policy.delay(exc, attempt, clock() - started)
            if wait is None:
                raise
            if on_retry is not None:
                on_retry(exc, attempt, wait)
            sleep(wait)
