"""ResilientClient: breaker → budget → retries around every platform method of a real client."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta

import pytest

from storesync.domain.order_status import OrderStatus
from storesync.errors import (
    AuthorizationError,
    NetworkError,
    PlatformAPIError,
    RateLimitError,
    ValidationError,
)
from storesync.marketplaces.base import ListingRef, MarketplaceClient, StockUpdate
from storesync.resilience.breaker import BreakerPolicy, Breakers, State
from storesync.resilience.client import Guard, ResilientClient
from storesync.resilience.errors import CircuitOpenError
from storesync.resilience.families import LOCAL_METHODS, METHODS
from storesync.resilience.ratelimit import Budgets, RateLimiter
from storesync.resilience.retry import RetryPolicy
from storesync.resilience.state import MemoryState
from storesync.testing.fakes import FakeClient
from tests.seeds import remote_order
from tests.unit.resilience.fakes import FakeClock, sample

POLICY = BreakerPolicy(min_calls=4, open_s=30, probes=2)
UPDATE = [StockUpdate(ListingRef("item-1", "v1"), 5), StockUpdate(ListingRef("item-2", "v2"), 1)]


def wrapped(inner: FakeClient, clock: FakeClock, key: str = "shopee:7") -> ResilientClient:
    state = MemoryState()
    guard = Guard(
        key=key,
        platform="shopee",
        breakers=Breakers(state, POLICY, clock=clock),
        limiter=RateLimiter(state, Budgets(), max_wait_s=5, clock=clock, sleep=clock.sleep),
        retry=RetryPolicy(),
        clock=clock,
        sleep=clock.sleep,
    )
    return ResilientClient(inner, guard)


def test_every_protocol_method_is_either_guarded_or_known_to_be_local() -> None:
    protocol = {
        name
        for name, member in inspect.getmembers(MarketplaceClient)
        if inspect.isfunction(member) and not name.startswith("_")
    }
    assert set(METHODS) | LOCAL_METHODS == protocol
    assert not set(METHODS) & LOCAL_METHODS


def test_the_wrapper_is_a_marketplace_client_and_passes_results_through() -> None:
    orders = [remote_order(n, OrderStatus.PENDING, 1, []) for n in ("A", "B")]
    client = wrapped(FakeClient(orders=orders), FakeClock())
    assert isinstance(client, MarketplaceClient)
    assert [r.confirmed_available for r in client.update_stock(UPDATE)] == [5, 1]
    day = datetime(2026, 11, 29, tzinfo=UTC)
    assert [o.external_id for o in client.list_orders(day, day + timedelta(days=1))] == ["A", "B"]
    assert client.authorization_url("https://cb", "s1") == "https://consent.fake/shopee?state=s1"


def test_a_transient_failure_is_retried_in_call_and_counted_by_class() -> None:
    inner = FakeClient().fail(NetworkError("reset"), PlatformAPIError("502"))
    client = wrapped(inner, FakeClock())
    labels = {"layer": "call", "code": "NETWORK_ERROR"}
    before = sample("storesync_retries_total", labels)
    client.update_stock(UPDATE)
    assert inner.methods == ["update_stock"] * 3
    assert sample("storesync_retries_total", labels) == before + 1
    assert sample("storesync_retries_total", {"layer": "call", "code": "PLATFORM_API_ERROR"}) >= 1


@pytest.mark.parametrize("error", [ValidationError("bad sku"), AuthorizationError("scope")])
def test_a_non_retryable_error_reaches_the_platform_exactly_once(error: Exception) -> None:
    inner = FakeClient().fail(error)
    with pytest.raises(type(error)):
        wrapped(inner, FakeClock()).update_stock(UPDATE)
    assert inner.methods == ["update_stock"]


def test_single_use_codes_are_never_replayed_by_an_in_call_retry() -> None:
    inner = FakeClient().fail(NetworkError("reset"))
    with pytest.raises(NetworkError):
        wrapped(inner, FakeClock(), key="shopee:app").exchange_code("code-1")
    assert inner.methods == ["exchange_code"]


def test_once_open_no_call_reaches_the_platform_until_the_cool_down_passes() -> None:
    clock = FakeClock()
    inner = FakeClient().fail_always(PlatformAPIError("503"))
    client = wrapped(inner, clock)
    with pytest.raises(PlatformAPIError):
        client.update_stock(UPDATE)  # 3 attempts
    with pytest.raises(CircuitOpenError) as raised:
        client.update_stock(UPDATE)  # 4th attempt opens it; the next ones are refused
    reached = len(inner.calls)
    assert reached == POLICY.min_calls
    assert raised.value.retryable
    assert raised.value.retry_after == pytest.approx(30, abs=1)
    for _ in range(5):
        with pytest.raises(CircuitOpenError):
            client.read_stock([ListingRef("item-1", "v1")])
    assert len(inner.calls) == reached
    inner.recover()
    clock.advance(POLICY.open_s)
    client.update_stock(UPDATE)  # probe 1
    client.update_stock(UPDATE)  # probe 2 → closed
    assert client.guard.breakers.view("shopee:7").state is State.CLOSED


def test_a_platform_429_lowers_that_familys_rate_for_the_shop() -> None:
    clock = FakeClock()
    inner = FakeClient().fail(RateLimitError("429", retry_after=0.5))
    client = wrapped(inner, clock)
    client.update_stock(UPDATE)
    assert clock.sleeps[-1] == 0.5  # Retry-After honoured in call
    limiter = client.guard.limiter
    assert limiter.factor("shopee:7", "stock") == 0.5
    assert limiter.factor("shopee:7", "orders") == 1.0


def test_the_wait_for_budget_is_spent_before_the_call_and_ramped_after_recovery() -> None:
    clock = FakeClock()
    inner = FakeClient().fail_always(NetworkError("down"))
    client = wrapped(inner, clock)
    for _ in range(2):
        with pytest.raises((NetworkError, CircuitOpenError)):
            client.fetch_lost_events()
    inner.recover()
    clock.advance(POLICY.open_s)
    client.fetch_lost_events()
    client.fetch_lost_events()
    for _ in range(4):
        client.fetch_lost_events()  # push: 5/s budget; at 10 % ramp: one call every 2 s
    assert clock.sleeps[-3:] == [pytest.approx(2.0, abs=0.01)] * 3
    clock.advance(3 * POLICY.ramp_step_s)
    started = len(clock.sleeps)
    for _ in range(5):
        client.fetch_lost_events()  # ramp done: the full burst of 5 goes at once
    assert clock.sleeps[started:] == []
