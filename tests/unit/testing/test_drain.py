"""`drain()`: the in-memory broker's queued jobs run inline, as a worker thread would run them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker

from storesync.errors import NetworkError
from storesync.observability.context import correlation_id
from storesync.testing.drain import DrainLimitExceeded, drain
from storesync.worker.broker import make_broker
from storesync.worker.registry import should_retry


@pytest.fixture
def broker() -> Iterator[StubBroker]:
    stub = make_broker(None)
    assert isinstance(stub, StubBroker)
    yield stub
    stub.close()


def _actor(broker: StubBroker, name: str, fn: Any, **options: Any) -> Any:
    return dramatiq.actor(actor_name=name, queue_name="default", broker=broker, **options)(fn)


def test_delayed_jobs_run_at_once_in_the_order_they_would_be_due(broker: StubBroker) -> None:
    ran: list[str] = []
    step = _actor(broker, "step", ran.append)
    step.send_with_options(args=("in a minute",), delay=60_000)
    step.send_with_options(args=("in a second",), delay=1_000)
    step.send("now")

    drained = drain(broker)

    assert ran == ["now", "in a second", "in a minute"]
    assert drained.counts == {"step": 3}
    assert drained.errors == []


def test_jobs_that_jobs_enqueue_run_in_the_same_drain(broker: StubBroker) -> None:
    ran: list[int] = []

    def countdown(n: int) -> None:
        ran.append(n)
        if n:
            follow.send_with_options(args=(n - 1,), delay=5_000)

    follow = _actor(broker, "countdown", countdown)
    follow.send(3)

    assert drain(broker).tasks == ["countdown"] * 4
    assert ran == [3, 2, 1, 0]


def test_a_failing_job_takes_its_queue_retries_then_is_given_up(broker: StubBroker) -> None:
    def flaky() -> None:
        raise NetworkError("reset")

    _actor(broker, "flaky", flaky, retry_when=should_retry(2), min_backoff=1_000).send()

    drained = drain(broker)

    assert [(run.retries, run.gave_up) for run in drained.runs] == [
        (0, False),
        (1, False),
        (2, True),
    ]
    assert all(isinstance(run.exception, NetworkError) for run in drained.runs)
    assert len(broker.dead_letters) == 1
    with pytest.raises(AssertionError, match="flaky"):
        drained.raise_errors()


def test_a_job_that_keeps_re_enqueueing_itself_stops_the_drain_with_what_ran(
    broker: StubBroker,
) -> None:
    def again() -> None:
        forever.send()

    forever = _actor(broker, "forever", again)
    forever.send()

    with pytest.raises(DrainLimitExceeded, match=r"ran 20 messages .* forever x20"):
        drain(broker, max_messages=20)


def test_the_callers_correlation_id_survives_the_jobs_own(broker: StubBroker) -> None:
    seen: list[str | None] = []
    _actor(broker, "look", lambda: seen.append(correlation_id.get())).send()
    token = correlation_id.set("cid-test-000001")
    try:
        drain(broker)
        assert correlation_id.get() == "cid-test-000001"
    finally:
        correlation_id.reset(token)
    assert seen[0] is not None  # the job ran with the id it was sent with


def test_only_the_in_memory_broker_can_be_drained() -> None:
    with pytest.raises(TypeError, match="StubBroker"):
        drain(dramatiq.Broker())
