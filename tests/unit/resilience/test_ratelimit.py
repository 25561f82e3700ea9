"""Rate budgets per shop and family: bursts, bounded waits, adaptive drops on 429 with gradual
recovery, and the breaker's ramp — all on a fake clock."""

from __future__ import annotations

import pytest

from storesync.resilience.errors import BudgetExhaustedError
from storesync.resilience.ratelimit import (
    AdaptivePolicy,
    Budget,
    Budgets,
    RateLimiter,
    effective_rate,
    rate_per_s,
)
from storesync.resilience.state import MemoryState
from tests.unit.resilience.fakes import FakeClock

SCOPE = "shopee:1"


def limiter(clock: FakeClock, max_wait_s: float = 2.0, rps: float = 10.0) -> RateLimiter:
    return RateLimiter(
        MemoryState(),
        Budgets(default_rps=rps, burst=10),
        AdaptivePolicy(),
        max_wait_s=max_wait_s,
        clock=clock,
        sleep=clock.sleep,
    )


def test_a_burst_goes_at_once_then_calls_are_spaced_at_the_budget() -> None:
    clock = FakeClock()
    rl = limiter(clock)
    waits = [rl.acquire(SCOPE, "shopee", "stock") for _ in range(13)]
    assert waits[:10] == [0.0] * 10
    assert waits[10:] == [pytest.approx(0.1, abs=0.002)] * 3  # 10 calls/s → one every 100 ms


def test_budgets_are_per_shop_and_per_family() -> None:
    clock = FakeClock()
    rl = limiter(clock)
    for _ in range(10):
        rl.acquire(SCOPE, "shopee", "stock")
    assert rl.acquire(SCOPE, "shopee", "orders") == 0.0
    assert rl.acquire("shopee:2", "shopee", "stock") == 0.0


def test_a_wait_longer_than_the_bound_raises_with_retry_after_instead_of_blocking() -> None:
    clock = FakeClock()
    rl = limiter(clock, max_wait_s=0.05)
    for _ in range(10):
        rl.acquire(SCOPE, "shopee", "stock")
    with pytest.raises(BudgetExhaustedError) as raised:
        rl.acquire(SCOPE, "shopee", "stock")
    assert raised.value.retry_after == pytest.approx(0.1)
    assert raised.value.retryable
    assert clock.sleeps == []


def test_a_429_halves_the_rate_once_per_burst_and_it_recovers_step_by_step() -> None:
    clock = FakeClock()
    rl = limiter(clock)
    rl.throttled(SCOPE, "shopee", "stock")
    rl.throttled(SCOPE, "shopee", "stock")  # same burst of 429s: counted once
    assert rl.factor(SCOPE, "stock") == 0.5
    clock.advance(1.0)
    rl.throttled(SCOPE, "shopee", "stock")
    assert rl.factor(SCOPE, "stock") == 0.25
    assert rl.factor(SCOPE, "orders") == 1.0  # other families keep their rate
    seen = []
    for _ in range(9):
        clock.advance(10.0)  # one quiet window each: +10 % of the budget
        seen.append(round(rl.factor(SCOPE, "stock"), 2))
    assert seen == [0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95, 1.0, 1.0]


def test_the_lowered_rate_spaces_calls_further_apart() -> None:
    clock = FakeClock()
    rl = limiter(clock)
    rl.throttled(SCOPE, "shopee", "stock")  # 10/s → 5/s, burst 10 → 5
    waits = [rl.acquire(SCOPE, "shopee", "stock") for _ in range(7)]
    assert waits[:5] == [0.0] * 5
    assert waits[5:] == [pytest.approx(0.2, abs=0.002)] * 2


def test_repeated_429s_never_take_the_rate_below_its_floor() -> None:
    clock = FakeClock()
    rl = limiter(clock)
    for _ in range(20):
        rl.throttled(SCOPE, "shopee", "stock")
        clock.advance(1.0)
    assert rl.factor(SCOPE, "stock") == pytest.approx(0.05)


@pytest.mark.parametrize(("ramp", "spacing"), [(0.1, 1.0), (0.25, 0.4), (0.5, 0.2), (1.0, 0.1)])
def test_the_breakers_ramp_scales_the_budget(ramp: float, spacing: float) -> None:
    clock = FakeClock()
    rl = limiter(clock, max_wait_s=5)
    burst = max(1, int(10 * ramp))
    for _ in range(burst):
        assert rl.acquire(SCOPE, "shopee", "stock", ramp=ramp) == 0.0
    assert rl.acquire(SCOPE, "shopee", "stock", ramp=ramp) == pytest.approx(spacing)


def test_a_batch_spends_its_weight_but_never_more_than_the_burst() -> None:
    clock = FakeClock()
    rl = limiter(clock)
    assert rl.acquire(SCOPE, "shopee", "stock", weight=8) == 0.0
    assert rl.acquire(SCOPE, "shopee", "stock", weight=500) == pytest.approx(0.8)


def test_family_and_platform_overrides_win_over_the_default() -> None:
    budgets = Budgets(default_rps=10, burst=10, overrides={"stock": 4, "tiktok:stock": 20})
    assert budgets.budget("shopee", "stock") == Budget(4, 4)
    assert budgets.budget("tiktok", "stock") == Budget(20, 10)
    assert budgets.budget("shopee", "orders") == Budget(10, 10)
    assert budgets.budget("shopee", "auth") == Budget(2, 2)  # rare calls, small default


def test_fractional_rates_stay_exact() -> None:
    assert rate_per_s(effective_rate(Budget(2, 2), 0.1)) == 0.2
    assert rate_per_s(effective_rate(Budget(10, 10), 0.05)) == 0.5
