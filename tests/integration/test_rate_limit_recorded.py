"""A rate reduction that platform 429s made survives a Redis restart: the database's record of
the latest reduction per shop and family is the truth the shared state is rebuilt from."""

from __future__ import annotations

import pytest
import redis
from sqlalchemy.orm import Session, sessionmaker

from storesync.resilience.events import recorded_reduction, reduction_recorder
from storesync.resilience.ratelimit import AdaptivePolicy, Budgets, RateLimiter
from storesync.resilience.state import RedisState
from tests.integration.conftest import flush_namespace
from tests.unit.resilience.fakes import FakeClock

pytestmark = pytest.mark.redis

SCOPE, FAMILY = "shopee:5", "orders"


def limiter(
    redis_url: str, namespace: str, factory: sessionmaker[Session], clock: FakeClock
) -> RateLimiter:
    state = RedisState(redis.Redis.from_url(redis_url, socket_timeout=1), namespace)
    return RateLimiter(
        state,
        Budgets(),
        AdaptivePolicy(),
        clock=clock,
        sleep=clock.sleep,
        on_lowered=reduction_recorder(factory),
        recall=recorded_reduction(factory),
    )


def test_a_reduction_is_rebuilt_after_redis_lost_it(
    redis_url: str, namespace: str, factory: sessionmaker[Session]
) -> None:
    clock = FakeClock()
    first = limiter(redis_url, namespace, factory, clock)
    first.throttled(SCOPE, "shopee", FAMILY)
    clock.advance(2)
    first.throttled(SCOPE, "shopee", FAMILY)  # a second burst of 429s: a quarter of the budget
    assert first.factor(SCOPE, FAMILY) == pytest.approx(0.25)
    flush_namespace(redis_url, namespace)

    restarted = limiter(redis_url, namespace, factory, clock)
    assert restarted.factor(SCOPE, FAMILY) == pytest.approx(0.25)
    assert first.factor(SCOPE, FAMILY) == pytest.approx(0.25)  # rebuilt in Redis for everyone
    clock.advance(AdaptivePolicy().window_s)  # and it recovers as before: one step per window
    assert restarted.factor(SCOPE, FAMILY) == pytest.approx(0.35)


def test_while_redis_is_down_the_recorded_reduction_still_applies(
    redis_url: str, namespace: str, factory: sessionmaker[Session]
) -> None:
    clock = FakeClock()
    limiter(redis_url, namespace, factory, clock).throttled(SCOPE, "shopee", FAMILY)
    down = limiter("redis://127.0.0.1:9/0", namespace, factory, clock)  # nothing on port 9
    assert down.factor(SCOPE, FAMILY) == pytest.approx(0.5)
    assert down.factor("shopee:6", FAMILY) == 1.0  # a shop never throttled keeps its budget


def test_a_fully_recovered_reduction_is_not_brought_back(
    redis_url: str, namespace: str, factory: sessionmaker[Session]
) -> None:
    clock = FakeClock()
    limiter(redis_url, namespace, factory, clock).throttled(SCOPE, "shopee", FAMILY)
    clock.advance(10 * AdaptivePolicy().window_s)
    flush_namespace(redis_url, namespace)
    assert limiter(redis_url, namespace, factory, clock).factor(SCOPE, FAMILY) == 1.0
