"""Rate budgets shared through real Redis: two limiter instances (two processes) spend one
budget, and a 429 seen by one slows the other down too."""

from __future__ import annotations

import threading
import time

import pytest
import redis

from storesync.resilience.ratelimit import Budgets, RateLimiter
from storesync.resilience.state import RedisState
from tests.unit.resilience.fakes import FakeClock

pytestmark = pytest.mark.redis

SCOPE = "tiktok:7"


def limiter(
    redis_url: str, namespace: str, clock: FakeClock | None = None, **kw: float
) -> RateLimiter:
    state = RedisState(redis.Redis.from_url(redis_url, socket_timeout=1), namespace)
    budgets = Budgets(default_rps=kw.pop("rps", 10.0), burst=int(kw.pop("burst", 10)))
    if clock is None:
        return RateLimiter(state, budgets, max_wait_s=5)
    return RateLimiter(state, budgets, max_wait_s=5, clock=clock, sleep=clock.sleep)


def test_two_processes_spend_one_budget(redis_url: str, namespace: str) -> None:
    clock = FakeClock()
    a = limiter(redis_url, namespace, clock)
    b = limiter(redis_url, namespace, clock)
    for _ in range(5):
        assert a.acquire(SCOPE, "tiktok", "stock") == 0.0
        assert b.acquire(SCOPE, "tiktok", "stock") == 0.0
    assert b.acquire(SCOPE, "tiktok", "stock") == pytest.approx(0.1, abs=0.002)
    assert a.acquire(SCOPE, "tiktok", "orders") == 0.0  # another family, another budget


def test_a_429_seen_by_one_process_slows_the_other(redis_url: str, namespace: str) -> None:
    clock = FakeClock()
    a = limiter(redis_url, namespace, clock)
    b = limiter(redis_url, namespace, clock)
    a.throttled(SCOPE, "tiktok", "stock")
    b.throttled(SCOPE, "tiktok", "stock")  # the same burst of 429s, seen twice: one drop
    assert b.factor(SCOPE, "stock") == 0.5
    clock.advance(10)
    assert a.factor(SCOPE, "stock") == pytest.approx(0.6)


def test_concurrent_callers_in_two_processes_never_exceed_the_budget(
    redis_url: str, namespace: str
) -> None:
    # 20 calls/s with a burst of 5: 45 calls cannot finish in under (45 - 5) / 20 = 2 s.
    limiters = [limiter(redis_url, namespace, rps=20, burst=5) for _ in range(2)]
    started = time.monotonic()
    threads = [threading.Thread(target=_spend, args=(limiters[i % 2], 9)) for i in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    elapsed = time.monotonic() - started
    assert elapsed >= 2.0 * 0.95
    assert elapsed < 6.0


def _spend(rl: RateLimiter, n: int) -> None:
    for _ in range(n):
        rl.acquire(SCOPE, "tiktok", "stock")
