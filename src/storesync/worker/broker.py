"""The Dramatiq broker: in-memory with an in-process worker on the embedded default, Redis or
RabbitMQ when scaled out. The in-memory broker is not durable; durability comes from the database
(dirty listings, received webhook events), which the scheduler's sweep re-enqueues."""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.stub import StubBroker

from storesync.worker.exposition import instrument
from storesync.worker.middleware import CorrelationMiddleware, MetricsMiddleware

QUEUES = ("default", "push", "orders")


class InProcessBroker(StubBroker):
    """The in-memory broker, with its delay queues kept apart from the ordinary ones.

    Dramatiq's StubBroker lists its delay queues among the declared queues, so a worker consumes
    them as ordinary ones, with the ordinary prefetch (2 per thread: 8) instead of the delay
    prefetch (1,000 per thread). Then 8 jobs parked for a breaker's 30 s cool-down filled the
    delay queue's consumer and held up every other delayed job behind them, the 50 ms webhook
    debounce included: the embedded chaos run saw 26 s without a single platform call.
    """

    def get_declared_queues(self) -> set[str]:
        return set(self.queues) - set(self.delay_queues)


def make_broker(url: str | None) -> dramatiq.Broker:
    """The broker with its queues; the composition root declares the actors on it."""
    broker: dramatiq.Broker
    if not url:
        broker = InProcessBroker()
    elif url.startswith(("redis://", "rediss://", "unix://")):
        from dramatiq.brokers.redis import RedisBroker  # only the configured broker's client

        broker = RedisBroker(url=url)  # type: ignore[no-untyped-call]
    elif url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker  # loads pika: only when configured

        broker = RabbitmqBroker(url=url)
    else:
        raise ValueError(f"STORESYNC_BROKER_URL must be redis:// or amqp:// (got {url[:20]}…)")
    broker.add_middleware(CorrelationMiddleware())
    broker.add_middleware(MetricsMiddleware())
    for queue in QUEUES:
        broker.declare_queue(queue)
    # Every process (serve, worker, scheduler, CLI) builds exactly one broker here, through the
    # composition root: the one call that turns on what its scrape reads besides metrics.py.
    instrument(broker)
    return broker


def start_worker(broker: dramatiq.Broker, threads: int = 4) -> dramatiq.Worker:
    # Short idle timeout: an in-process worker polls the in-memory queues, and 100 ms is the
    # price a message pays at most before a thread notices it.
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=100)
    worker.start()
    return worker
