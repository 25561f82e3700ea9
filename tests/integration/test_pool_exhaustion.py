"""A pool with every connection held answers requests 503 DATABASE_ERROR with Retry-After and
retries jobs (the playbook's pool-exhaustion scenario), and both recover once a connection is free.

PostgreSQL only: its engine is the one with a configurable pool (size 1, no overflow, a 0.5 s
timeout here). The test holds the one connection itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, select, text
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

from storesync.api.app import create_app
from storesync.bootstrap import Container
from storesync.db.engine import unit_of_work
from storesync.db.models import DeadLetter
from storesync.errors import DatabaseError
from storesync.observability.metrics import REGISTRY
from storesync.testing.auth import bearer, issue_key
from storesync.testing.drain import drain
from storesync.worker.registry import TASKS, task

pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)

EXHAUSTED = "storesync_db_pool_exhausted_total"


class Held:
    """The test's hold on the pool's one connection; the job frees it on its second run, the way
    the load that exhausted a pool passes while the queue's retry waits."""

    connection: Connection | None = None
    runs = 0


@task("pool_test.touch", queue="default", max_retries=3)
def _touch(*, db: sessionmaker[Session]) -> None:
    Held.runs += 1
    if Held.runs == 2:
        release()
    with unit_of_work(db) as session:
        session.execute(text("SELECT 1"))


def release() -> None:
    if Held.connection is not None:
        Held.connection.close()
        Held.connection = None


@pytest.fixture(scope="module", autouse=True)
def _unregister_test_task() -> Iterator[None]:
    yield
    TASKS.pop("pool_test.touch", None)


@pytest.fixture
def container(make_container: Callable[..., Container]) -> Iterator[Container]:
    Held.runs = 0
    built = make_container(db_pool_size=1, db_max_overflow=0, db_pool_timeout_s=0.5)
    yield built
    release()


def _hold(container: Container) -> None:
    Held.connection = container.engine.connect()
    Held.connection.execute(text("SELECT 1"))


def _exhausted() -> float:
    return REGISTRY.get_sample_value(EXHAUSTED) or 0.0


def test_a_request_meets_a_full_pool_with_503_database_error_then_recovers(
    container: Container,
) -> None:
    # Issued first: checking the key needs the database as well.
    api = TestClient(
        create_app(container),
        base_url="http://127.0.0.1",
        headers=bearer(issue_key(container.session_factory)),
    )
    before = _exhausted()
    _hold(container)

    full = api.get("/api/v1/jobs")

    assert full.status_code == 503, full.text
    error = full.json()["error"]
    assert (error["code"], error["severity"]) == ("DATABASE_ERROR", "high")
    assert error["correlation_id"]
    assert int(full.headers["Retry-After"]) >= 1
    assert _exhausted() == before + 1
    release()
    assert api.get("/api/v1/jobs").status_code == 200


def test_a_job_meets_a_full_pool_and_is_retried_not_dead_lettered(container: Container) -> None:
    container.jobs.send("pool_test.touch")
    before = _exhausted()
    _hold(container)

    drained = drain(container.broker)

    first, second = drained.of("pool_test.touch")
    assert isinstance(first.exception, DatabaseError)
    assert first.exception.code.value == "DATABASE_ERROR"
    assert first.exception.retryable
    assert isinstance(first.exception.__cause__, PoolTimeoutError)
    assert not first.gave_up
    assert (second.retries, second.exception) == (1, None)  # the pool free again: it ran
    assert _exhausted() == before + 1
    with unit_of_work(container.session_factory) as session:
        assert session.scalars(select(DeadLetter)).all() == []
