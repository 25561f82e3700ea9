"""Tasks by name. Features declare plain functions with `@task`; `declare_actors` turns them into
Dramatiq actors on whichever broker the composition root built (Dramatiq binds actors to a broker
when declared, so declaring at import time would pin them to a global one)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dramatiq

from storesync.errors import StoreSyncError
from storesync.resilience.queue import count_queue_retry, honouring_retry_after


@dataclass(frozen=True)
class TaskSpec:
    name: str
    fn: Callable[..., Any]
    queue: str
    max_retries: int
    time_limit_ms: int
    # False for periodic work the scheduler sends again anyway: its failures are counted and
    # logged, not kept as dead letters (a failing 5 s sweep would write 720 an hour).
    dead_letter: bool = True


TASKS: dict[str, TaskSpec] = {}

# Queue-layer retries (RELIABILITY.md): minutes, jittered, then a dead letter; polling and
# reconciliation cover anything longer. 5 retries from 1 s doubling to 5 min cap ≈ 1 min in all.
MIN_BACKOFF_MS = 1_000
MAX_BACKOFF_MS = 300_000


def task(
    name: str,
    *,
    queue: str = "default",
    max_retries: int = 5,
    time_limit_ms: int = 120_000,
    dead_letter: bool = True,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        TASKS[name] = TaskSpec(name, fn, queue, max_retries, time_limit_ms, dead_letter)
        return fn

    return register


def should_retry(max_retries: int) -> Callable[[int, BaseException], bool]:
    """Retry only what the taxonomy calls retryable; unknown exceptions (bugs) are not retried."""

    def retry_when(retries_so_far: int, exc: BaseException) -> bool:
        if retries_so_far >= max_retries:
            return False
        retry = isinstance(exc, StoreSyncError) and exc.retryable
        if retry:
            count_queue_retry(exc)
        return retry

    return retry_when


def declare_actors(broker: dramatiq.Broker) -> None:
    for spec in TASKS.values():
        if spec.name in broker.actors:
            continue
        dramatiq.actor(
            actor_name=spec.name,
            queue_name=spec.queue,
            broker=broker,
            retry_when=should_retry(spec.max_retries),
            min_backoff=MIN_BACKOFF_MS,
            max_backoff=MAX_BACKOFF_MS,
            time_limit=spec.time_limit_ms,
        )(honouring_retry_after(spec.fn))
