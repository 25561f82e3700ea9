"""The embedded default's in-process worker consumes delay queues as delay queues: jobs parked
for a long delay (a breaker's cool-down) never hold up a job due sooner."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import dramatiq
import pytest

from storesync.worker.broker import QUEUES, make_broker, start_worker


@pytest.fixture
def broker() -> Iterator[dramatiq.Broker]:
    built = make_broker(None)
    yield built
    built.close()


def test_delay_queues_get_the_delay_prefetch(broker: dramatiq.Broker) -> None:
    worker = start_worker(broker, threads=4)
    try:
        assert {q: worker.consumers[q].prefetch for q in QUEUES} == dict.fromkeys(QUEUES, 8)
        delayed = {f"{q}.DQ": worker.consumers[f"{q}.DQ"].prefetch for q in QUEUES}
        assert delayed == {f"{q}.DQ": 4000 for q in QUEUES}
    finally:
        worker.stop(timeout=5_000)


def test_many_long_parked_jobs_do_not_hold_up_one_due_soon(broker: dramatiq.Broker) -> None:
    ran = threading.Event()

    @dramatiq.actor(broker=broker, queue_name="push", actor_name="test.parked")
    def parked() -> None:
        return None

    @dramatiq.actor(broker=broker, queue_name="push", actor_name="test.soon")
    def soon() -> None:
        ran.set()

    for _ in range(20):  # more than the ordinary prefetch of 8
        parked.send_with_options(delay=60_000)
    soon.send_with_options(delay=50)
    worker = start_worker(broker, threads=4)
    try:
        assert ran.wait(10), "the job due in 50 ms waited behind the parked ones"
    finally:
        worker.stop(timeout=5_000)
