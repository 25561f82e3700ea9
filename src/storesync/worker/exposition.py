"""What each process exports beyond metrics.py's own objects, and how the background processes
serve it.

A port per process, not prometheus_client's multiprocess mode: serve, worker and scheduler are
separate long-lived processes (not forks of one server behind one port), so each serves its own
registry — serve at `/metrics` on its HTTP port, `storesync worker` and `storesync scheduler` on
`STORESYNC_METRICS_PORT` (unset or 0: none). Prometheus then sees every process as its own target:
`up` tells a dead worker from an idle one, and RSS (the memory-growth alert) is per process.
Multiprocess mode would need a shared directory wiped on every restart, cannot run the process
and custom collectors this module installs, and would sum gauges that mean one process each.
Counters are summed across targets in PromQL (`sum by (…) (rate(…))`) instead.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIServer

import dramatiq
import structlog
from dramatiq.brokers.stub import StubBroker
from prometheus_client import start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from redis.exceptions import RedisError
from sqlalchemy import Engine

from storesync.config import ConfigurationError, Settings
from storesync.observability import database, metrics

log = structlog.get_logger(__name__)

_lock = threading.Lock()
_brokers: weakref.WeakSet[dramatiq.Broker] = weakref.WeakSet()  # a test process builds many
_registered = False


def instrument(broker: dramatiq.Broker) -> None:
    """Install this process's collectors (idempotent): database timing and pool, queue depth.
    Every process builds its broker through `make_broker`, which calls this."""
    global _registered
    database.install()
    with _lock:
        _brokers.add(broker)
        if _registered:
            return
        _registered = True
    metrics.REGISTRY.register(QueueDepthCollector())


class QueueDepthCollector(Collector):
    """Messages ready to run and not yet taken by a worker, per queue, read when scraped.
    Delayed ones (retries' backoff, debounces) wait on purpose and are not counted; Redis-
    and RabbitMQ-backed processes all read the same shared queues, so take `max` across them."""

    def describe(self) -> Iterator[Metric]:
        yield self._family()

    def collect(self) -> Iterator[Metric]:
        family = self._family()
        depths: dict[str, int] = {}
        with _lock:
            brokers = list(_brokers)
        for broker in brokers:
            for queue, depth in _depths(broker):
                depths[queue] = depths.get(queue, 0) + depth
        for queue, depth in sorted(depths.items()):
            family.add_metric([queue], depth)
        yield family

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            metrics.QUEUE_DEPTH,
            "Jobs ready to run, waiting for a worker, by queue.",
            labels=["queue"],
        )


def _depths(broker: dramatiq.Broker) -> list[tuple[str, int]]:
    queues = sorted(q for q in broker.get_declared_queues() if not q.endswith(".DQ"))
    try:
        return [(queue, _depth(broker, queue)) for queue in queues]
    except (RedisError, OSError) as exc:
        # Unknown is not zero: leave the samples out, and the broker's own outage shows elsewhere.
        log.warning("queue_depth_unavailable", error=type(exc).__name__)
        return []


def _depth(broker: Any, queue: str) -> int:
    if isinstance(broker, StubBroker):
        return int(broker.queues[queue].qsize())
    if hasattr(broker, "get_queue_message_counts"):  # RabbitMQ: (ready, delayed, dead)
        return int(broker.get_queue_message_counts(queue)[0])
    # Redis: the list of message ids not yet fetched (dramatiq's `<namespace>:<queue>`).
    return int(broker.client.llen(f"{broker.namespace}:{queue}"))


def serve_metrics(settings: Settings, engine: Engine) -> WSGIServer | None:
    """The registry over HTTP on STORESYNC_METRICS_PORT for a background process, or None.

    Follows STORESYNC_METRICS_ACCESS like serve's /metrics: "off" serves nothing, and "token"
    refuses to start, since prometheus_client's server has no bearer check and an operator who
    asked for one must not get an open port instead."""
    if not settings.metrics_port:
        return None
    if settings.metrics_access == "off":
        log.info("metrics_port_ignored", reason="STORESYNC_METRICS_ACCESS=off")
        return None
    if settings.metrics_access == "token":
        raise ConfigurationError(
            "STORESYNC_METRICS_PORT serves metrics without a bearer check, and "
            "STORESYNC_METRICS_ACCESS=token asks for one: unset the port, or use "
            "STORESYNC_METRICS_ACCESS=public where only Prometheus reaches it."
        )
    database.watch(engine)  # report the database before this process's first query
    # STORESYNC_HOST, like serve: loopback by default, 0.0.0.0 where Prometheus is elsewhere.
    server, _thread = start_http_server(
        settings.metrics_port, addr=settings.host, registry=metrics.REGISTRY
    )
    log.info("metrics_serving", host=settings.host, port=settings.metrics_port)
    return server
