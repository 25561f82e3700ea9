"""Work the queue gives up on is kept whole as a dead letter, and replays through the normal path.

A few test tasks run against SQLite and PostgreSQL on the in-memory broker of the embedded
default, drained inline (`storesync.testing.drain`: the broker's middleware, queue retries without
their delays); the dead-letter middleware is the one `build_container` installs.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select
from structlog.testing import capture_logs

from storesync.api.app import create_app
from storesync.bootstrap import Container, build_container
from storesync.config import Settings
from storesync.db.engine import make_session_factory, unit_of_work
from storesync.db.models import DeadLetter, Shop
from storesync.deadletter import service
from storesync.deadletter.middleware import DeadLetterMiddleware
from storesync.errors import PlatformAPIError, SyncConflictError, ValidationError
from storesync.observability.context import correlation_id
from storesync.observability.metrics import REGISTRY
from storesync.testing.auth import bearer, issue_key
from storesync.testing.drain import drain
from storesync.worker.registry import TASKS, task


class Cause:
    """What the test tasks fail on; clearing it is "fixing the cause"."""

    broken = threading.Event()
    done: list[str] = []


@task("dl_test_platform", queue="default", max_retries=2)
def _platform(order: str) -> None:
    if Cause.broken.is_set():
        raise PlatformAPIError("the platform answered 503")
    Cause.done.append(order)


@task("dl_test_rejected", queue="default")
def _rejected(sku: str, shop_id: int | None = None) -> None:
    if Cause.broken.is_set():
        raise ValidationError(f"the platform refused SKU {sku}")
    Cause.done.append(sku)


@task("dl_test_bug", queue="default")
def _bug() -> None:
    raise KeyError("a bug")


@task("dl_test_periodic", queue="default", max_retries=0, dead_letter=False)
def _periodic() -> None:
    raise PlatformAPIError("down")


TEST_TASKS = ("dl_test_platform", "dl_test_rejected", "dl_test_bug", "dl_test_periodic")


@pytest.fixture
def container(database_url: str, tmp_path: Path) -> Iterator[Container]:
    Cause.broken.set()
    Cause.done.clear()
    built = build_container(Settings(data_dir=tmp_path, database_url=database_url))
    yield built
    built.close()


@pytest.fixture(scope="module", autouse=True)
def _unregister_test_tasks() -> Iterator[None]:
    yield
    for name in TEST_TASKS:
        TASKS.pop(name, None)


def _send(container: Container, name: str, cid: str, **kwargs: Any) -> None:
    token = correlation_id.set(cid)
    try:
        container.jobs.send(name, **kwargs)
    finally:
        correlation_id.reset(token)


def _run(container: Container) -> None:
    """Every queued job, with its retries, until the queues are empty."""
    drain(container.broker)


def _kept(container: Container, cid: str) -> DeadLetter:
    letter = _letter(container, cid)
    assert letter is not None, f"no dead letter for {cid}"
    return letter


def _letter(container: Container, cid: str) -> DeadLetter | None:
    with unit_of_work(container.session_factory) as session:
        return session.scalar(select(DeadLetter).where(DeadLetter.correlation_id == cid))


def _metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_retryable_failure_is_kept_after_its_retries_with_code_payload_and_correlation_id(
    container: Container,
) -> None:
    before = _metric(
        "storesync_dead_letters_total", task="dl_test_platform", code="PLATFORM_API_ERROR"
    )
    _send(container, "dl_test_platform", "cid-retryable-0001", order="A-1")
    _run(container)
    letter = _kept(container, "cid-retryable-0001")
    assert (letter.task, letter.queue, letter.status) == ("dl_test_platform", "default", "dead")
    assert letter.error_code == "PLATFORM_API_ERROR"
    assert "503" in letter.error_message
    assert letter.attempts == 3  # the first run and max_retries=2
    assert service.kwargs_of(letter) == {"order": "A-1"}
    after = _metric(
        "storesync_dead_letters_total", task="dl_test_platform", code="PLATFORM_API_ERROR"
    )
    assert after == before + 1


def test_non_retryable_failure_is_kept_after_one_attempt_with_its_shop(
    container: Container,
) -> None:
    with unit_of_work(container.session_factory) as session:
        shop = Shop(platform="shopee", external_id="77", name="Shop 77")
        session.add(shop)
        session.flush()
        shop_id = shop.id
    _send(container, "dl_test_rejected", "cid-rejected-0001", sku="TOTE", shop_id=shop_id)
    _send(container, "dl_test_rejected", "cid-rejected-0002", sku="TOTE", shop_id=999_999)
    _run(container)
    letter = _kept(container, "cid-rejected-0001")
    assert (letter.error_code, letter.attempts, letter.shop_id) == ("VALIDATION_ERROR", 1, shop_id)
    # A shop id that does not exist is not trusted into the foreign key: the letter still lands.
    unknown = _kept(container, "cid-rejected-0002")
    assert unknown.shop_id is None
    assert service.kwargs_of(unknown) == {"sku": "TOTE", "shop_id": 999_999}


def test_an_exception_outside_the_taxonomy_is_kept_as_an_internal_error(
    container: Container,
) -> None:
    _send(container, "dl_test_bug", "cid-bug-00000001")
    _run(container)
    letter = _kept(container, "cid-bug-00000001")
    assert (letter.error_code, letter.attempts) == ("INTERNAL_ERROR", 1)
    assert letter.error_message.startswith("KeyError")


def test_periodic_work_is_counted_but_not_kept(container: Container) -> None:
    before = _metric(
        "storesync_dead_letters_total", task="dl_test_periodic", code="PLATFORM_API_ERROR"
    )
    _send(container, "dl_test_periodic", "cid-periodic-0001")
    _run(container)
    after = _metric(
        "storesync_dead_letters_total", task="dl_test_periodic", code="PLATFORM_API_ERROR"
    )
    assert after == before + 1
    assert _letter(container, "cid-periodic-0001") is None


def test_replay_runs_the_same_task_again_and_succeeds_once_the_cause_is_gone(
    container: Container,
) -> None:
    _send(container, "dl_test_rejected", "cid-replay-00001", sku="SHIRT-M")
    _run(container)
    letter = _kept(container, "cid-replay-00001")
    Cause.broken.clear()
    with unit_of_work(container.session_factory) as session:
        replayed = service.replay(session, container.jobs, letter.id, actor="ops@example")
        assert replayed.status == "replayed"
    _run(container)
    assert "SHIRT-M" in Cause.done
    with unit_of_work(container.session_factory) as session:
        row = service.DeadLetterService(session).get(letter.id)
        assert (row.status, row.resolved_by) == ("replayed", "ops@example")
        assert row.resolved_at is not None
    with (
        pytest.raises(SyncConflictError, match="already replayed"),
        unit_of_work(container.session_factory) as session,
    ):
        service.replay(session, container.jobs, letter.id, actor="someone else")
    assert Cause.done.count("SHIRT-M") == 1


def test_discard_marks_it_with_who_and_why_and_it_can_no_longer_be_replayed(
    container: Container,
) -> None:
    _send(container, "dl_test_rejected", "cid-discard-0001", sku="GONE")
    _run(container)
    letter = _kept(container, "cid-discard-0001")
    with unit_of_work(container.session_factory) as session:
        service.DeadLetterService(session).discard(letter.id, "ops", "SKU deleted on purpose")
    with unit_of_work(container.session_factory) as session:
        row = service.DeadLetterService(session).get(letter.id)
        assert (row.status, row.resolved_by, row.note) == (
            "discarded",
            "ops",
            "SKU deleted on purpose",
        )
    with (
        pytest.raises(SyncConflictError),
        unit_of_work(container.session_factory) as session,
    ):
        service.replay(session, container.jobs, letter.id, actor="ops")


def test_a_failed_dead_letter_write_is_logged_and_the_worker_carries_on(
    container: Container, tmp_path: Path
) -> None:
    assert container.broker is not None
    keeper = next(m for m in container.broker.middleware if isinstance(m, DeadLetterMiddleware))
    # An empty database without the tables: every write fails.
    broken = create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    keeper.session_factory = make_session_factory(broken)
    with capture_logs() as logs:
        _send(container, "dl_test_rejected", "cid-lost-000001", sku="X")
        _run(container)
    failed = next(e for e in logs if e["event"] == "dead_letter_write_failed")
    assert (failed["task"], failed["code"], failed["kwargs"]) == (
        "dl_test_rejected",
        "VALIDATION_ERROR",
        {"sku": "X"},
    )
    Cause.broken.clear()
    _send(container, "dl_test_platform", "cid-after-000001", order="B-2")
    _run(container)
    assert "B-2" in Cause.done  # the worker carried on to the next job
    broken.dispose()


def test_the_api_lists_filters_shows_replays_and_discards(container: Container) -> None:
    _send(container, "dl_test_rejected", "cid-api-00000001", sku="A")
    _send(container, "dl_test_bug", "cid-api-00000002")
    _run(container)
    first = _kept(container, "cid-api-00000001")
    second = _kept(container, "cid-api-00000002")
    api = TestClient(
        create_app(container),
        base_url="http://127.0.0.1",
        headers=bearer(issue_key(container.session_factory, name="alice")),
    )

    listed = api.get("/api/v1/deadletters", params={"status": "dead"}).json()
    assert {row["id"] for row in listed} == {first.id, second.id}
    bugs = api.get("/api/v1/deadletters", params={"code": "INTERNAL_ERROR"}).json()
    assert [row["id"] for row in bugs] == [second.id]
    shown = api.get(f"/api/v1/deadletters/{first.id}").json()
    assert shown["payload"] == {"sku": "A"}
    assert shown["correlation_id"] == "cid-api-00000001"

    bad = api.get("/api/v1/deadletters", params={"status": "alive"})
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "VALIDATION_ERROR"
    assert api.get("/api/v1/deadletters/999999").status_code == 404

    Cause.broken.clear()
    replayed = api.post(f"/api/v1/deadletters/{first.id}/replay")
    assert replayed.status_code == 202, replayed.text
    # Who replayed it is the authenticated key, `key:<id>:<name>`.
    assert replayed.json()["status"] == "replayed"
    assert re.fullmatch(r"key:\d+:alice", replayed.json()["resolved_by"])
    _run(container)
    assert "A" in Cause.done
    again = api.post(f"/api/v1/deadletters/{first.id}/replay")
    assert again.status_code == 409

    dropped = api.post(f"/api/v1/deadletters/{second.id}/discard", json={"reason": "known bug"})
    assert dropped.status_code == 200
    assert (dropped.json()["status"], dropped.json()["note"]) == ("discarded", "known bug")
    assert dropped.json()["resolved_by"] == replayed.json()["resolved_by"]
    assert api.get("/api/v1/deadletters", params={"status": "dead"}).json() == []
