"""Database metrics from SQLAlchemy's own events, for every engine of the process.

Listening on the `Engine` class (SQLAlchemy's own recipe for timing every query) rather than on
one engine: `db/` and `observability/` sit side by side in the layers and import nothing of each
other, so neither can hand the other its engine. Query time is a process-wide histogram; pools
are read when scraped, from the engines this process has connected with (a read-only engine made
by `execution_options` shares its parent's pool and is counted once). `storesync_db_up` is a
`SELECT 1` on the most recently used engine, bounded in time: a scrape must answer even when the
database does not.

`install()` is idempotent; worker/exposition.py calls it for every process that builds a broker.

Slow statements (`STORESYNC_SLOW_QUERY_MS`): each one over its engine's threshold is a
`slow_query` warning with its duration, the first 200 characters of its SQL and the correlation id
of the work that ran it, and counts in `storesync_db_slow_queries_total`. The threshold travels
on the engine as an execution option (`slow_queries()`, which the composition root passes to
`make_engine`) rather than in a module global here: every engine of a test process keeps its own,
and an engine built without one (a migration, a test's own) is timed but never called slow. The
SQL is the statement as sent with its placeholders; its parameters are never logged (they may hold
tokens), and string literals written into the SQL itself are masked as well.
"""

from __future__ import annotations

import re
import threading
import time
import weakref
from collections.abc import Iterator
from typing import Any

import structlog
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, event
from sqlalchemy.engine import Connection, ExceptionContext
from sqlalchemy.pool import Pool

from storesync.observability import metrics
from storesync.observability.context import correlation_id

log = structlog.get_logger(__name__)

PING_TIMEOUT_S = 2.0  # well inside Prometheus's default 10 s scrape timeout
_STARTED = "storesync_query_started"  # Connection.info key: a stack, statements may nest
SLOW_QUERY_MS = "storesync_slow_query_ms"  # an execution option: the engine's threshold
# Enough to tell the statement (its verb, table and first conditions) on one log line.
SQL_SHOWN_CHARS = 200
# '...' with '' as the escaped quote: a literal written into the SQL may be a value worth hiding.
_STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")
_WHITESPACE = re.compile(r"\s+")

_lock = threading.Lock()
# pool -> (its engine, monotonic time of its last connection): weak both ways, so a disposed
# test engine or pool disappears with its last reference.
_seen: weakref.WeakKeyDictionary[Pool, tuple[weakref.ref[Engine], float]] = (
    weakref.WeakKeyDictionary()
)
_installed = False


def install() -> None:
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    event.listen(Engine, "engine_connect", _on_connect)
    event.listen(Engine, "before_cursor_execute", _before_execute)
    event.listen(Engine, "after_cursor_execute", _after_execute)
    event.listen(Engine, "handle_error", _on_error)
    metrics.REGISTRY.register(DatabaseCollector())


def watch(engine: Engine) -> None:
    """Report this engine before its first query (a worker with an empty queue makes none)."""
    install()
    _note(engine)


def _note(engine: Engine) -> None:
    with _lock:
        _seen[engine.pool] = (weakref.ref(engine), time.monotonic())


def _on_connect(conn: Connection) -> None:
    _note(conn.engine)


def _before_execute(conn: Connection, *_: Any) -> None:
    conn.info.setdefault(_STARTED, []).append(time.perf_counter())


def _after_execute(conn: Connection, _cursor: Any, statement: str, *_: Any) -> None:
    started = conn.info.get(_STARTED)
    if started:
        seconds = time.perf_counter() - started.pop()
        metrics.db_query_duration_seconds.observe(seconds)
        _note_if_slow(conn, statement, seconds)


def _on_error(context: ExceptionContext) -> None:
    # A failed statement is timed too: a query that waited out a lock and failed was slow.
    if context.connection is not None and context.statement is not None:
        _after_execute(context.connection, None, context.statement)


def slow_queries(threshold_ms: int) -> dict[str, int]:
    """The execution options that make an engine's statements over `threshold_ms` (0: none) be
    logged and counted: `make_engine(url, execution_options=slow_queries(500))`."""
    return {SLOW_QUERY_MS: threshold_ms}


def _note_if_slow(conn: Connection, statement: str, seconds: float) -> None:
    threshold_ms = conn.get_execution_options().get(SLOW_QUERY_MS)
    duration_ms = seconds * 1000
    if not threshold_ms or duration_ms < threshold_ms:
        return
    metrics.db_slow_queries_total.inc()
    log.warning(
        "slow_query",
        duration_ms=round(duration_ms, 1),
        threshold_ms=threshold_ms,
        statement=shown_sql(statement),
        # Explicit, not only the logging processor's: it is the point of the line.
        correlation_id=correlation_id.get(),
    )


def shown_sql(statement: str) -> str:
    """The statement on one line, string literals masked, cut to SQL_SHOWN_CHARS."""
    masked = _STRING_LITERAL.sub("'?'", statement)
    return _WHITESPACE.sub(" ", masked).strip()[:SQL_SHOWN_CHARS]


def _pools() -> list[tuple[Pool, Engine, float]]:
    """The pools of engines still alive (a pool can outlive its engine by a connection)."""
    with _lock:
        seen = [(pool, ref(), at) for pool, (ref, at) in _seen.items()]
    return [(pool, engine, at) for pool, engine, at in seen if engine is not None]


_pinging = threading.Lock()  # one ping at a time: a hung database holds one thread, not many


def ping(engine: Engine, timeout_s: float = PING_TIMEOUT_S) -> bool:
    """A raw `SELECT 1` (no transaction: on SQLite a BEGIN IMMEDIATE would queue behind writers)
    in a thread of its own, so a database that hangs costs the scrape `timeout_s`, not forever."""
    if not _pinging.acquire(blocking=False):
        return False  # the last ping has not come back yet: still down
    answered = threading.Event()

    def run() -> None:
        try:
            conn = engine.raw_connection()
            # Out of the pool, so close() really closes: the engine pinged may have been
            # disposed (its pool replaced by a fresh one nobody disposes again), and a connection
            # checked into that pool would stay open until garbage collection.
            conn.detach()
            try:
                cursor = conn.cursor()
                cursor.execute("SELECT 1")
                cursor.close()
                answered.set()
            finally:
                conn.close()
        except Exception:  # down is the answer, and the gauge reports it
            return
        finally:
            _pinging.release()

    threading.Thread(target=run, name="storesync-db-ping", daemon=True).start()
    return answered.wait(timeout_s)


Families = tuple[
    GaugeMetricFamily,
    GaugeMetricFamily,
    GaugeMetricFamily,
    CounterMetricFamily,
    CounterMetricFamily,
]


class DatabaseCollector(Collector):
    def describe(self) -> Iterator[Metric]:
        # Without this the registry collects once at registration, which would ping.
        yield from _families()

    def collect(self) -> Iterator[Metric]:
        pools = _pools()
        if not pools:
            return  # this process never touched a database: report nothing rather than 0
        up, in_use, overflow, waits, exhausted = families = _families()
        in_use.add_metric([], sum(_int(pool, "checkedout") for pool, _, _ in pools))
        overflow.add_metric([], sum(max(0, _int(pool, "overflow")) for pool, _, _ in pools))
        waits.add_metric([], sum(getattr(pool, "waits", 0) for pool, _, _ in pools))
        exhausted.add_metric([], sum(getattr(pool, "exhausted", 0) for pool, _, _ in pools))
        latest = max(pools, key=lambda seen: seen[2])[1]
        up.add_metric([], 1 if ping(latest) else 0)
        yield from families


def _families() -> Families:
    return (
        GaugeMetricFamily(
            metrics.DB_UP, "1 if this process's database answered SELECT 1 within 2 s, else 0."
        ),
        GaugeMetricFamily(
            metrics.DB_POOL_IN_USE, "Pooled database connections checked out right now."
        ),
        GaugeMetricFamily(
            metrics.DB_POOL_OVERFLOW,
            "Connections open beyond the pool's size "
            "(PostgreSQL: STORESYNC_DB_POOL_SIZE, and up to STORESYNC_DB_MAX_OVERFLOW more).",
        ),
        CounterMetricFamily(
            metrics.DB_POOL_WAITS,
            "Connection checkouts that found the PostgreSQL pool full and had to wait.",
        ),
        CounterMetricFamily(
            metrics.DB_POOL_EXHAUSTED,
            "Checkouts that waited STORESYNC_DB_POOL_TIMEOUT_S and got no connection "
            "(answered 503 DATABASE_ERROR, or the job retried).",
        ),
    )


def _int(pool: Pool, method: str) -> int:
    # QueuePool has both; the single-connection pools of in-memory SQLite have neither.
    read = getattr(pool, method, None)
    return int(read()) if callable(read) else 0
