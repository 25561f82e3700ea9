"""In-call retries: transient classes only, ≤ 3 attempts, < 10 s, full jitter, Retry-After."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from storesync.errors import (
    AuthenticationError,
    AuthorizationError,
    DatabaseError,
    DataIntegrityError,
    InternalError,
    NetworkError,
    NetworkTimeoutError,
    NotFoundError,
    PlatformAPIError,
    PlatformRejectedError,
    RateLimitError,
    StoreSyncError,
    SyncError,
    TokenExpiredError,
    ValidationError,
)
from storesync.resilience.errors import BudgetExhaustedError, CircuitOpenError
from storesync.resilience.retry import RetryPolicy, call_with_retries, full_jitter
from tests.unit.resilience.fakes import FakeClock


class Failing:
    """A call that raises `errors` in turn, then succeeds; each call takes `takes_s`."""

    def __init__(self, clock: FakeClock, *errors: StoreSyncError, takes_s: float = 0.0) -> None:
        self.clock, self.errors, self.takes_s = clock, errors, takes_s
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        self.clock.advance(self.takes_s)
        if self.calls <= len(self.errors):
            raise self.errors[self.calls - 1]
        return "ok"


def run(policy: RetryPolicy, clock: FakeClock, fn: Callable[[], str]) -> str:
    return call_with_retries(fn, policy, clock=clock, sleep=clock.sleep)


@pytest.mark.parametrize("attempt", range(8))
def test_full_jitter_delays_stay_between_zero_and_the_capped_exponential(attempt: int) -> None:
    rng = random.Random(attempt)
    ceiling = min(2.0, 0.25 * 2**attempt)
    delays = [full_jitter(attempt, 0.25, 2.0, rng) for _ in range(500)]
    assert all(0.0 <= d <= ceiling for d in delays)
    # Full jitter spreads over the whole range, not just near the ceiling.
    assert min(delays) < ceiling * 0.1
    assert max(delays) > ceiling * 0.9


def test_a_transient_error_is_tried_three_times_with_jittered_waits_under_ten_seconds() -> None:
    clock = FakeClock()
    call = Failing(clock, *[NetworkError("reset")] * 5)
    with pytest.raises(NetworkError):
        run(RetryPolicy(rng=random.Random(1)), clock, call)
    assert call.calls == 3
    assert len(clock.sleeps) == 2
    assert 0 <= clock.sleeps[0] <= 0.25
    assert 0 <= clock.sleeps[1] <= 0.5
    assert sum(clock.sleeps) < 10


@pytest.mark.parametrize(
    "error",
    [NetworkError(), NetworkTimeoutError(), PlatformAPIError("502"), RateLimitError()],
    ids=lambda e: type(e).__name__,
)
def test_each_transient_class_is_retried_and_then_succeeds(error: StoreSyncError) -> None:
    clock = FakeClock()
    call = Failing(clock, error)
    assert run(RetryPolicy(), clock, call) == "ok"
    assert call.calls == 2


def test_no_retry_starts_once_the_ten_second_budget_is_spent() -> None:
    clock = FakeClock()
    call = Failing(clock, *[NetworkTimeoutError()] * 3, takes_s=5.0)  # slow timeouts
    with pytest.raises(NetworkTimeoutError):
        run(RetryPolicy(budget_s=9.0), clock, call)
    assert call.calls == 2  # 5 s + 5 s: no third attempt


def test_retry_after_is_honoured_as_the_wait() -> None:
    clock = FakeClock()
    call = Failing(clock, RateLimitError("429", retry_after=1.5))
    assert run(RetryPolicy(), clock, call) == "ok"
    assert clock.sleeps == [1.5]


def test_a_retry_after_beyond_the_budget_raises_at_once_for_the_queue_to_wait() -> None:
    clock = FakeClock()
    call = Failing(clock, RateLimitError("429", retry_after=30))
    with pytest.raises(RateLimitError) as raised:
        run(RetryPolicy(), clock, call)
    assert raised.value.retry_after == 30
    assert call.calls == 1
    assert clock.sleeps == []


@pytest.mark.parametrize(
    "error",
    [
        ValidationError(),
        NotFoundError(),
        AuthenticationError(),
        TokenExpiredError(),
        AuthorizationError(),
        PlatformRejectedError(),
        SyncError(),
        InternalError(),
        DatabaseError(),  # retryable by the queue, but not a platform hiccup
        DataIntegrityError(),
        CircuitOpenError(retry_after=1.0),  # our own refusals wait in the queue
        BudgetExhaustedError(retry_after=0.5),
    ],
    ids=lambda e: type(e).__name__,
)
def test_non_transient_classes_are_called_exactly_once(error: StoreSyncError) -> None:
    clock = FakeClock()
    call = Failing(clock, error)
    with pytest.raises(type(error)):
        run(RetryPolicy(), clock, call)
    assert call.calls == 1
    assert clock.sleeps == []


def test_the_policy_refuses_unbounded_settings() -> None:
    with pytest.raises(ValueError, match="bounded"):
        RetryPolicy(attempts=5)
    with pytest.raises(ValueError, match="bounded"):
        RetryPolicy(budget_s=30)
