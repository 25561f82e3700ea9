"""Engines and sessions for SQLite (the embedded default) and PostgreSQL (scale-out)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, QueuePool

READ_ONLY = "storesync_read_only"  # an execution option: begin without the SQLite write lock


def make_engine(
    url: str,
    *,
    sqlite_busy_timeout_ms: int = 5000,
    pool_size: int = 10,
    max_overflow: int = 10,
    pool_timeout_s: float = 5.0,
    **kwargs: Any,
) -> Engine:
    """The pool arguments apply to PostgreSQL (config.py has the why of their defaults)."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url, sqlite_busy_timeout_ms, **kwargs)
    # pre_ping: a restarted PostgreSQL leaves dead connections in the pool; checking on checkout
    # costs one round trip and turns "server closed the connection" into a fresh connection.
    return create_engine(
        url,
        poolclass=WaitCountingQueuePool,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout_s,
        **kwargs,
    )


class WaitCountingQueuePool(QueuePool):
    """SQLAlchemy's QueuePool, counting checkouts that found every connection in use and no room
    to open another, so they waited (up to the pool timeout, STORESYNC_DB_POOL_TIMEOUT_S), and
    those that waited it out: `exhausted`, each raising `sqlalchemy.exc.TimeoutError` (the API and
    the worker turn it into a retryable DATABASE_ERROR). SQLAlchemy has no event for either; they
    are plain numbers that observability/database.py reads when scraped (db imports no metrics:
    the layers keep db and observability apart)."""

    def __init__(
        self, creator: Any, pool_size: int = 5, max_overflow: int = 10, **kwargs: Any
    ) -> None:
        super().__init__(creator, pool_size=pool_size, max_overflow=max_overflow, **kwargs)
        self.max_overflow_limit = max_overflow
        self.waits = 0
        self.exhausted = 0

    def _do_get(self) -> ConnectionPoolEntry:
        limited = self.max_overflow_limit > -1
        if limited and self.checkedin() == 0 and self.overflow() >= self.max_overflow_limit:
            self.waits += 1  # racy by a count at worst: two threads both see it full
        try:
            return super()._do_get()
        except PoolTimeoutError:
            self.exhausted += 1
            raise

    def recreate(self) -> QueuePool:
        # dispose() swaps in a fresh pool: carry the counts on, they are counters.
        fresh = super().recreate()
        if isinstance(fresh, WaitCountingQueuePool):
            fresh.waits = self.waits
            fresh.exhausted = self.exhausted
        return fresh


def _sqlite_engine(url: str, busy_timeout_ms: int, **kwargs: Any) -> Engine:
    path = make_url(url).database
    if path and path != ":memory:" and not path.startswith("file:"):
        _private_database_file(Path(path))
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000}, **kwargs
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        # WAL lets the in-process worker write while the API reads; busy_timeout makes writers wait
        # for each other instead of failing with "database is locked"; foreign keys are off by
        # default in SQLite.
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # Take transaction control from the sqlite3 module so `_begin` below decides how.
        dbapi_conn.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front. A deferred transaction that reads, then writes,
        # fails at once with "database is locked" when another writer committed in between (busy
        # timeout does not help there); a read-modify-write of stock must never hit that.
        # Read-only sessions (`make_read_session_factory`) begin deferred: WAL lets them read
        # beside a writer instead of queueing behind it.
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def make_read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that only read. On SQLite they do not take the write lock, so a read made while
    this thread's own request transaction holds it (a breaker's record, consulted during a
    platform call) does not wait out the busy timeout behind itself. Nothing they do is written.
    """
    return sessionmaker(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)


def _private_database_file(path: Path) -> None:
    """The database holds every shop's (encrypted) tokens and the order history: this user only.

    Created empty with 0600 before SQLite opens it (an empty file is a valid empty database),
    because SQLite creates a missing file with 0644 under the usual umask. SQLite gives the -wal
    and -shm files it creates the main file's permissions (tests/unit/test_secret_key_file.py
    checks it), so they follow."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    info = path.stat()
    if info.st_mode & 0o077 and info.st_uid == os.getuid():
        path.chmod(0o600)  # made by an older version, or by hand


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """The request/job boundary: services never commit, this does (or rolls back on error)."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
