"""The queue layer: an error carrying Retry-After (a 429, a breaker's cool-down) comes back after
exactly that wait; other retryable errors keep the exponential backoff; retries are counted."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker

from storesync.errors import NetworkError, RateLimitError, StoreSyncError, ValidationError
from storesync.resilience.errors import CircuitOpenError
from storesync.resilience.queue import honouring_retry_after, queue_delay_ms, with_delay
from storesync.testing.drain import drain
from storesync.worker.registry import MAX_BACKOFF_MS, MIN_BACKOFF_MS, should_retry
from tests.unit.resilience.fakes import sample


def test_the_delay_is_the_retry_after_plus_at_most_twenty_percent_jitter() -> None:
    rng = random.Random(3)
    delays = [queue_delay_ms(RateLimitError(retry_after=4.0), rng) for _ in range(200)]
    assert all(d is not None and 4000 <= d <= 4800 for d in delays)
    assert len(set(delays)) > 50
    assert queue_delay_ms(NetworkError()) is None  # no Retry-After: the usual backoff
    assert queue_delay_ms(ValidationError(retry_after=3)) is None  # not retried at all


def test_the_delayed_error_keeps_its_class_code_and_details_for_dead_letters() -> None:
    original = CircuitOpenError("open", details={"breaker": "shopee:1"}, retry_after=12.5)
    delayed = with_delay(original, 12_500)
    assert isinstance(delayed, CircuitOpenError)
    assert isinstance(delayed, dramatiq.Retry)
    assert delayed.delay == 12_500
    assert (delayed.code, delayed.retryable, delayed.details) == (
        original.code,
        True,
        {"breaker": "shopee:1"},
    )


class SpyBroker(StubBroker):
    """Records the delay of every enqueue (the Retries middleware re-enqueues with its delay)."""

    def __init__(self) -> None:
        super().__init__()
        self.delays: list[int | None] = []

    def enqueue(self, message: Any, *, delay: int | None = None) -> Any:
        self.delays.append(delay)
        return super().enqueue(message, delay=delay)


@pytest.fixture
def broker() -> Iterator[SpyBroker]:
    stub = SpyBroker()
    yield stub
    stub.flush_all()
    stub.close()


def _actor(broker: StubBroker, errors: list[StoreSyncError]) -> Any:
    def flaky() -> None:
        if errors:
            raise errors.pop(0)

    return dramatiq.actor(
        actor_name=f"flaky_{id(errors)}",
        broker=broker,
        retry_when=should_retry(3),
        min_backoff=MIN_BACKOFF_MS,
        max_backoff=MAX_BACKOFF_MS,
    )(honouring_retry_after(flaky))


def _retry_delay(broker: SpyBroker, error: StoreSyncError) -> int:
    actor = _actor(broker, [error])
    actor.send()
    ran = drain(broker)
    assert ran.tasks == [actor.actor_name] * 2, "no retry was enqueued"  # the failure, the retry
    delay = broker.delays[1]
    assert delay is not None
    return delay


def test_a_rate_limited_job_is_retried_after_its_retry_after(broker: SpyBroker) -> None:
    labels = {"layer": "queue", "code": "RATE_LIMIT_ERROR"}
    before = sample("storesync_retries_total", labels)
    delay = _retry_delay(broker, RateLimitError("429", retry_after=60))
    assert 60_000 <= delay <= 72_000  # 60 s + at most 20 % jitter
    assert sample("storesync_retries_total", labels) == before + 1


def test_a_job_refused_by_an_open_breaker_waits_out_the_cool_down(broker: SpyBroker) -> None:
    delay = _retry_delay(broker, CircuitOpenError(retry_after=25.0))
    assert 25_000 <= delay <= 30_000


def test_other_retryable_errors_keep_the_short_exponential_backoff(broker: SpyBroker) -> None:
    labels = {"layer": "queue", "code": "NETWORK_ERROR"}
    before = sample("storesync_retries_total", labels)
    assert _retry_delay(broker, NetworkError("reset")) <= 2 * MIN_BACKOFF_MS  # 1 s, jittered
    assert sample("storesync_retries_total", labels) == before + 1
