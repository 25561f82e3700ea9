"""Tasks by name. Features declare plain functions with `@task("noun.verb")`; `declare_actors`
turns them into Dramatiq actors on whichever broker the composition root built (Dramatiq binds
actors to a broker when declared, so declaring at import time would pin them to a global one).

A task takes its message arguments first and its dependencies keyword-only:

    @task("listing.push_stock", queue="push")
    def push_stock(shop_id: int, *, db: sessionmaker[Session], clients: ShopClients, jobs: Jobs)

`declare_actors` binds every keyword-only parameter once, by name, from the dependencies the
composition root passes (in the spirit of cosmicpython's `inject_dependencies`): a task asking
for a name nobody provides fails at start-up, not when its first message arrives at 3 a.m.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import dramatiq
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from storesync.errors import DatabaseError, NetworkError, StoreSyncError
from storesync.resilience.errors import BudgetExhaustedError, CircuitOpenError
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

# Task names before they became `noun.verb`: dead letters written earlier still name these, and a
# replay must reach the task they meant.
RENAMED = {
    "push_stock": "listing.push_stock",
    "sweep_dirty": "listing.sweep_dirty",
    "process_webhook": "webhook.process",
    "process_webhooks": "webhook.process_batch",
    "poll_orders": "order.poll",
    "import_catalog": "catalog.import",
    "reconcile": "reconcile.run",
    "refresh_due_tokens": "shop.refresh_due_tokens",
    "refresh_shop_tokens": "shop.refresh_tokens",
}


def current_name(name: str) -> str:
    return RENAMED.get(name, name)


# Queue-layer retries (docs/reliability.md#queue-retries): minutes, jittered, then a dead letter;
# polling and reconciliation cover anything longer. 5 retries from 1 s doubling to a 5 min cap
# ≈ 1 min in all.
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
        if name in TASKS and TASKS[name].fn is not fn:
            raise RuntimeError(f"two tasks are named {name!r}")
        TASKS[name] = TaskSpec(name, fn, queue, max_retries, time_limit_ms, dead_letter)
        return fn

    return register


SELF_THROTTLE_FACTOR = 4


def _self_throttled(exc: BaseException) -> bool:
    return isinstance(exc, BudgetExhaustedError | CircuitOpenError)


def should_retry(max_retries: int) -> Callable[[int, BaseException], bool]:
    """Retry only what the taxonomy calls retryable; unknown exceptions (bugs) are not retried."""

    def retry_when(retries_so_far: int, exc: BaseException) -> bool:
        # Our own breaker or budget asking the job to wait is not a failure of the job: give it
        # more rounds (each already delayed by the wait it asked for) before a dead letter.
        limit = max_retries * SELF_THROTTLE_FACTOR if _self_throttled(exc) else max_retries
        if retries_so_far >= limit:
            return False
        retry = isinstance(exc, StoreSyncError) and exc.retryable
        if retry:
            count_queue_retry(exc)
        return retry

    return retry_when


def dependencies_of(fn: Callable[..., Any]) -> list[str]:
    """The keyword-only parameter names of a task: what the worker binds at start-up."""
    return [p.name for p in inspect.signature(fn).parameters.values() if p.kind is p.KEYWORD_ONLY]


def bind(spec: TaskSpec, deps: Mapping[str, object]) -> Callable[..., Any]:
    """The task's function with its dependencies filled in; unknown names fail here."""
    wanted = dependencies_of(spec.fn)
    missing = [name for name in wanted if name not in deps]
    if missing:
        raise RuntimeError(
            f"task {spec.name!r} needs {', '.join(missing)}, which the worker does not provide"
            f" (it provides: {', '.join(sorted(deps))})"
        )
    bound = functools.partial(spec.fn, **{name: deps[name] for name in wanted})
    return functools.update_wrapper(bound, spec.fn)


def declare_actors(broker: dramatiq.Broker, deps: Mapping[str, object]) -> None:
    """Every registered task as an actor on `broker`, its dependencies bound from `deps`."""
    for spec in TASKS.values():
        if spec.name in broker.actors:
            continue
        fn = bind(spec, deps)
        dramatiq.actor(
            actor_name=spec.name,
            queue_name=spec.queue,
            broker=broker,
            retry_when=should_retry(spec.max_retries),
            min_backoff=MIN_BACKOFF_MS,
            max_backoff=MAX_BACKOFF_MS,
            time_limit=spec.time_limit_ms,
        )(honouring_retry_after(translating_infrastructure_errors(fn)))


def translating_infrastructure_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A lost connection, a restart or a deadlock is a DATABASE_ERROR (retryable), not a bug:
    untranslated, the driver's exception was dead-lettered as INTERNAL_ERROR in chaos runs
    while PostgreSQL restarted, instead of being retried a few seconds later. Redis going away
    (a restart: the coalescing keys and the broker live there) is a NETWORK_ERROR, retried
    alike (chaos runs dead-lettered up to 7 jobs per Redis restart before). A pool that stayed
    full for its whole timeout (not a DBAPIError: no driver is involved) is retried the same way,
    with the queue's backoff giving the pool time to drain."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except PoolTimeoutError as exc:
            raise DatabaseError(
                "Every database connection was in use; retrying.",
                details={"driver_error": "PoolTimeout"},
            ) from exc
        except (OperationalError, InterfaceError) as exc:
            raise DatabaseError(
                "The database was unavailable or aborted the transaction; retrying.",
                details={"driver_error": type(getattr(exc, "orig", exc)).__name__},
            ) from exc
        except (RedisConnectionError, RedisTimeoutError) as exc:
            raise NetworkError(
                "Redis was unavailable; retrying.", details={"driver_error": type(exc).__name__}
            ) from exc

    return run
