"""SimClock, CallLog and RateLimiter."""

from __future__ import annotations

import time

import pytest

from marketsim.common.calls import CallLog
from marketsim.common.clock import SimClock
from marketsim.common.ratelimit import RateLimiter


def test_clock_follows_real_time_plus_offset() -> None:
    clock = SimClock()
    assert abs(clock.now() - time.time()) < 1
    clock.advance(3600)
    assert abs(clock.now() - time.time() - 3600) < 1
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)
    clock.reset()
    assert clock.offset == 0


def test_call_log_counts() -> None:
    log = CallLog()
    log.record("/a", "ok")
    log.record("/a", "ok")
    log.record("/a", "error_sign")
    log.record("/b", "5xx")
    assert log.snapshot() == {"/a": {"ok": 2, "error_sign": 1}, "/b": {"5xx": 1}}
    assert log.total("/a") == 3
    assert log.total(outcome="ok") == 2
    log.reset()
    assert log.snapshot() == {}


def test_rate_limiter_sliding_window_per_family_and_key() -> None:
    now = [100.0]
    limiter = RateLimiter(now=lambda: now[0])
    assert [limiter.allow("order", "s1", 2) for _ in range(3)] == [True, True, False]
    assert limiter.allow("order", "s2", 2)  # another shop
    assert limiter.allow("stock", "s1", 2)  # another family
    now[0] += 0.5
    assert not limiter.allow("order", "s1", 2)
    now[0] += 0.51
    assert limiter.allow("order", "s1", 2)


def test_rate_limiter_fractional_and_unlimited() -> None:
    now = [0.0]
    limiter = RateLimiter(now=lambda: now[0])
    assert limiter.allow("x", "k", 0.5)
    now[0] += 1.5
    assert not limiter.allow("x", "k", 0.5)  # one call per 2 s
    now[0] += 0.6
    assert limiter.allow("x", "k", 0.5)
    assert all(limiter.allow("y", "k", 0) for _ in range(1000))
