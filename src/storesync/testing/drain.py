"""Run what is queued on the in-memory broker now, in this thread, instead of waiting for a worker.

`drain(broker)` takes every message from the StubBroker's queues, delayed ones too (their delay
is ignored, their order is not: messages run by the time they would be due), and processes each
the way a worker thread does: through the broker's middleware and the declared actor, so the
dependencies bound at start-up, the database-error translation, Retry-After delays, queue
retries and dead letters all apply. Jobs the run enqueues (a follow-up push, a retry, a
hand-over) run too, until every queue is empty.

Some jobs re-enqueue themselves while work remains (a push whose variants keep failing), so a
drain is bounded: past `max_messages` it raises `DrainLimitExceeded` with what kept running.

No worker may consume the same broker meanwhile (it would take messages from under the drain):
drain a container that was built but whose background worker was not started.
"""

from __future__ import annotations

import heapq
import itertools
import queue
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import dramatiq
from dramatiq import Message
from dramatiq.broker import MessageProxy
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import q_name
from dramatiq.middleware import SkipMessage
from redis import Redis
from sqlalchemy.orm import Session, sessionmaker

from storesync.config import Settings
from storesync.deadletter.middleware import DeadLetterMiddleware
from storesync.observability.context import correlation_id
from storesync.worker.broker import make_broker
from storesync.worker.jobs import Jobs, MemoryPendingKeys
from storesync.worker.registry import declare_actors


class DrainLimitExceeded(AssertionError):
    """More messages ran than the drain allows: usually a job that keeps re-enqueueing itself."""


@dataclass(frozen=True)
class Ran:
    """One processed message."""

    task: str
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any]
    retries: int  # queue retries before this run (0: its first run)
    exception: BaseException | None = None
    gave_up: bool = False  # failed for good: the worker would nack it (a dead letter)


@dataclass
class Drained:
    runs: list[Ran] = field(default_factory=list)

    @property
    def tasks(self) -> list[str]:
        """Task names in the order they ran."""
        return [run.task for run in self.runs]

    @property
    def counts(self) -> Counter[str]:
        return Counter(self.tasks)

    @property
    def errors(self) -> list[Ran]:
        return [run for run in self.runs if run.exception is not None]

    @property
    def gave_up(self) -> list[Ran]:
        return [run for run in self.runs if run.gave_up]

    def of(self, task: str) -> list[Ran]:
        return [run for run in self.runs if run.task == task]

    def raise_errors(self) -> Drained:
        """Raise the first job's exception, if any job failed (chain it to see where)."""
        for run in self.errors:
            raise AssertionError(f"{run.task}{dict(run.kwargs)} failed") from run.exception
        return self


def drain(broker: dramatiq.Broker, *, max_messages: int = 1_000) -> Drained:
    """Process every queued message, and every message that processing enqueues, until the
    queues are empty; what ran, in order."""
    if not isinstance(broker, StubBroker):
        raise TypeError(f"drain() runs the in-memory StubBroker's queues, not {type(broker)!r}")
    drained = Drained()
    waiting: list[tuple[int, int, Message[Any]]] = []  # (due at ms, arrival, message)
    arrival = itertools.count()
    # The worker's correlation middleware sets and clears the id per job; the caller keeps its own.
    token = correlation_id.set(correlation_id.get())
    try:
        while True:
            for due, message in _take_queued(broker):
                heapq.heappush(waiting, (due, next(arrival), message))
            if not waiting:
                return drained
            if len(drained.runs) >= max_messages:
                raise DrainLimitExceeded(_too_many(drained, max_messages, len(waiting)))
            _, _, message = heapq.heappop(waiting)
            drained.runs.append(_process(broker, message))
    finally:
        correlation_id.reset(token)


def _take_queued(broker: StubBroker) -> list[tuple[int, Message[Any]]]:
    """Everything on the broker's queues now, each with the time it is due (ms)."""
    taken = []
    for name, pending in broker.queues.items():
        while True:
            try:
                data = pending.get_nowait()
            except queue.Empty:
                break
            pending.task_done()  # keeps StubBroker.join() right for anyone who also uses it
            message = Message.decode(data)
            due = int(message.options.get("eta") or message.message_timestamp)
            if name in broker.delay_queues:
                # What the worker does once the eta passes: back onto the queue it came from.
                message = message.copy(queue_name=q_name(name))
                message.options.pop("eta", None)
            taken.append((due, message))
    return taken


def _process(broker: StubBroker, message: Message[Any]) -> Ran:
    """One message as dramatiq's worker thread processes it (worker.py `process_message`), then
    acked or nacked as its consumer would."""
    proxy = MessageProxy(message)
    retries = int(message.options.get("retries", 0) or 0)
    error: BaseException | None = None
    try:
        broker.emit_before("process_message", proxy)
        result = None
        if not proxy.failed:
            result = broker.get_actor(message.actor_name)(*message.args, **message.kwargs)
        broker.emit_after("process_message", proxy, result=result)
    except SkipMessage:
        broker.emit_after("skip_message", proxy)
    except Exception as exc:
        error = exc
        proxy.stuff_exception(exc)
        broker.emit_after("process_message", proxy, exception=exc)
    if proxy.failed:
        broker.emit_before("nack", proxy)
        broker.dead_letters_by_queue[message.queue_name].append(proxy)
        broker.emit_after("nack", proxy)
    else:
        broker.emit_before("ack", proxy)
        broker.emit_after("ack", proxy)
    return Ran(message.actor_name, message.args, message.kwargs, retries, error, bool(proxy.failed))


def _too_many(drained: Drained, limit: int, left: int) -> str:
    most = ", ".join(f"{task} x{n}" for task, n in drained.counts.most_common(3))
    return (
        f"drain() ran {limit} messages and {left} are still queued (most run: {most}); "
        "a job that keeps re-enqueueing itself? Raise max_messages if the work is that long."
    )


def inline_jobs(
    db: sessionmaker[Session],
    clients: object,
    *,
    settings: Settings | None = None,
    redis: Redis[bytes] | None = None,
) -> Jobs:
    """`Jobs` on a fresh in-memory broker whose actors are bound to these dependencies (fakes,
    typically: `FakeClients`), with the dead-letter middleware on `db`, as the composition root
    wires the embedded default. Send jobs with it, then run them with `drain(jobs.broker)`."""
    broker = make_broker(None)
    broker.add_middleware(DeadLetterMiddleware(db))
    jobs = Jobs(broker, MemoryPendingKeys())
    deps = {
        "db": db,
        "clients": clients,
        "jobs": jobs,
        "settings": settings or Settings(),
        "redis": redis,
    }
    declare_actors(broker, deps)
    return jobs
