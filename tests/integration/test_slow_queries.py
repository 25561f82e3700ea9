"""Every statement slower than STORESYNC_SLOW_QUERY_MS is one `slow_query` warning with its
duration, its SQL (never its parameters, never its string literals) and the correlation id of the
work that ran it, and counts in storesync_db_slow_queries_total; a fast one logs nothing."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from structlog.testing import capture_logs

from storesync.bootstrap import Container
from storesync.db.engine import make_engine
from storesync.observability import database
from storesync.observability.context import correlation_id
from storesync.observability.metrics import REGISTRY

SECRET = "shpat_4f1c9e0d7b2a_looks_like_a_token"  # what must never reach a log
SLOW = "storesync_db_slow_queries_total"


def _slow_count() -> float:
    return REGISTRY.get_sample_value(SLOW) or 0.0


def _slow_lines(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in logs if line["event"] == "slow_query"]


@pytest.fixture
def cid() -> Iterator[str]:
    token = correlation_id.set("cid-slow-query-0001")
    yield "cid-slow-query-0001"
    correlation_id.reset(token)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_statement_over_the_threshold_is_logged_with_its_correlation_id_not_its_values(
    make_container: Callable[..., Container], cid: str
) -> None:
    container = make_container(slow_query_ms=100)  # the setting reaches the listeners
    before = _slow_count()
    with capture_logs() as logs, container.engine.connect() as conn:
        conn.execute(text("SELECT pg_sleep(0.3), :token AS t, 'inline-secret'"), {"token": SECRET})

    [line] = _slow_lines(logs)
    assert line["log_level"] == "warning"
    assert line["correlation_id"] == cid
    assert line["duration_ms"] >= 300
    assert line["threshold_ms"] == 100
    assert line["statement"].startswith("SELECT pg_sleep(0.3), %(token)s AS t, '?'")
    assert SECRET not in repr(line)
    assert "inline-secret" not in repr(line)
    assert _slow_count() == before + 1


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_fast_statement_logs_nothing(make_container: Callable[..., Container], cid: str) -> None:
    container = make_container(slow_query_ms=100)
    before = _slow_count()
    with capture_logs() as logs, container.engine.connect() as conn:
        conn.execute(text("SELECT :token AS t"), {"token": SECRET})
    assert _slow_lines(logs) == []
    assert _slow_count() == before


def _sqlite_with_sleep(path: Path, **kwargs: Any) -> Engine:
    engine = make_engine(f"sqlite:///{path}", **kwargs)

    @event.listens_for(engine, "connect")
    def _sleep_function(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # SQLite has no pg_sleep: a slow statement made by hand.
        dbapi_conn.create_function("test_sleep", 1, lambda s: time.sleep(s) or s)

    return engine


def test_a_slow_sqlite_statement_is_logged_too(tmp_path: Path, cid: str) -> None:
    database.install()  # what make_broker does in every process
    engine = _sqlite_with_sleep(tmp_path / "slow.db", execution_options=database.slow_queries(50))
    try:
        with capture_logs() as logs, engine.connect() as conn:
            conn.execute(text("SELECT test_sleep(0.1), :token"), {"token": SECRET})
            conn.execute(text("SELECT 1"))
    finally:
        engine.dispose()
    [line] = _slow_lines(logs)
    assert line["correlation_id"] == cid
    assert line["statement"] == "SELECT test_sleep(0.1), ?"


def test_an_engine_without_a_threshold_or_with_zero_never_calls_a_statement_slow(
    tmp_path: Path,
) -> None:
    database.install()
    engines = [
        _sqlite_with_sleep(tmp_path / "none.db"),
        _sqlite_with_sleep(tmp_path / "off.db", execution_options=database.slow_queries(0)),
    ]
    with capture_logs() as logs:
        for engine in engines:
            with engine.connect() as conn:
                conn.execute(text("SELECT test_sleep(0.05)"))
            engine.dispose()
    assert _slow_lines(logs) == []


def test_the_logged_sql_is_one_line_with_literals_masked_and_cut_to_200_characters() -> None:
    sql = "SELECT *\n  FROM api_keys\n WHERE hash = 'abc''def' AND name = %(name)s" + " " * 3
    assert database.shown_sql(sql) == "SELECT * FROM api_keys WHERE hash = '?' AND name = %(name)s"
    assert len(database.shown_sql("SELECT " + "x, " * 200)) == database.SQL_SHOWN_CHARS
