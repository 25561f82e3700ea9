"""Retention on SQLite and PostgreSQL: finished webhook events, rejected-delivery samples and
finished job records older than the cutoff are deleted in short batches; unfinished or young
rows, the ledger and orders are untouched; the scheduler sends the prune daily."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from storesync.cli.main import app as cli
from storesync.config import Settings
from storesync.db.engine import unit_of_work
from storesync.db.models import LedgerEntry, Order, RejectedDelivery, SyncJob, WebhookEvent
from storesync.domain.order_status import OrderStatus
from storesync.inventory.service import InventoryService
from storesync.order.service import OrderService
from storesync.retention import tasks as retention_tasks
from storesync.retention.prune import prune
from storesync.testing.jobs import RecordingJobs
from storesync.worker.scheduler import Schedule, Scheduler
from tests.seeds import make_shop, make_variant, remote_order

NOW = datetime.now(UTC)
CUTOFF = NOW - timedelta(days=30)
OLD, YOUNG = NOW - timedelta(days=45), NOW - timedelta(days=5)


def _event(status: str, at: datetime, n: int) -> WebhookEvent:
    return WebhookEvent(
        platform="shopee", event_id=f"e-{status}-{n}", status=status, body="{}", received_at=at
    )


def _job(status: str, finished_at: datetime | None) -> SyncJob:
    created = (finished_at or OLD) - timedelta(minutes=1)
    return SyncJob(kind="orders", status=status, created_at=created, finished_at=finished_at)


def _seed(factory: sessionmaker[Session]) -> None:
    """Of each kind: what must go (old and finished) and what must stay (unfinished or young)."""
    with unit_of_work(factory) as session:
        shop = make_shop(session)
        make_variant(session, "SKU-1", 10)
        session.flush()
        order = remote_order("A1", OrderStatus.SHIPPED, 1, [("SKU-1", 2)])
        OrderService(session, InventoryService(session, actor="test")).upsert(shop, order)
        session.flush()
        # The ledger and orders are as old as anything here, and still never pruned.
        for entry in session.scalars(select(LedgerEntry)):
            entry.created_at = OLD
        for row in session.scalars(select(Order)):
            row.imported_at = row.updated_at = OLD
        n = 0
        for status in ("processed", "ignored", "skipped", "rejected", "received", "failed"):
            for at in (OLD, YOUNG):
                n += 1
                session.add(_event(status, at, n))
        session.add_all(
            [
                RejectedDelivery(platform="tiktok", reason="signature", received_at=at)
                for at in (OLD, OLD, YOUNG)
            ]
        )
        for status in ("succeeded", "partial", "failed"):
            session.add_all([_job(status, OLD), _job(status, YOUNG)])
        session.add_all([_job("running", None), _job("queued", None)])


def _left(factory: sessionmaker[Session]) -> dict[str, Any]:
    with unit_of_work(factory) as session:
        events = sorted(
            (status, at.replace(tzinfo=UTC) < CUTOFF)
            for status, at in session.execute(select(WebhookEvent.status, WebhookEvent.received_at))
        )
        jobs = sorted(
            (status, at is not None and at < CUTOFF)
            for status, at in session.execute(select(SyncJob.status, SyncJob.finished_at))
        )
        count = {
            name: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for name, model in (
                ("samples", RejectedDelivery),
                ("ledger", LedgerEntry),
                ("orders", Order),
            )
        }
    return {"events": events, "jobs": jobs, **count}


def test_old_finished_records_are_pruned_and_everything_else_stays(
    factory: sessionmaker[Session],
) -> None:
    _seed(factory)
    before = _left(factory)

    pruned = prune(factory, CUTOFF)

    assert pruned.counts == {"webhook_events": 4, "rejected_deliveries": 2, "sync_jobs": 3}
    assert not pruned.more
    left = _left(factory)
    assert left["events"] == sorted(
        [(s, False) for s in ("processed", "ignored", "skipped", "rejected", "received", "failed")]
        + [("received", True), ("failed", True)]  # work to do, or what a dead letter replays
    )
    young_or_unfinished = ("succeeded", "partial", "failed", "running", "queued")
    assert left["jobs"] == sorted((s, False) for s in young_or_unfinished)
    assert left["samples"] == 1
    assert (left["ledger"], left["orders"]) == (before["ledger"], before["orders"])
    assert before["ledger"] >= 2  # the initial stock and the sale
    assert before["orders"] == 1
    # Nothing left to do: a second run deletes nothing.
    assert prune(factory, CUTOFF).counts == dict.fromkeys(pruned.counts, 0)


def test_a_backlog_is_deleted_in_bounded_batches_across_runs(
    factory: sessionmaker[Session],
) -> None:
    with unit_of_work(factory) as session:
        session.add_all([_event("processed", OLD, n) for n in range(7)])

    first = prune(factory, CUTOFF, batch_rows=3, max_batches=2)
    second = prune(factory, CUTOFF, batch_rows=3, max_batches=2)

    assert (first.counts["webhook_events"], first.more) == (6, True)
    assert (second.counts["webhook_events"], second.more) == (1, False)


def test_the_task_prunes_after_the_configured_days_and_sends_itself_again_for_a_backlog(
    factory: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with unit_of_work(factory) as session:
        session.add_all([_event("processed", NOW - timedelta(days=d), d) for d in (3, 8, 9)])
    settings = Settings(data_dir=tmp_path, retention_days=7)
    jobs = RecordingJobs()
    small = functools.partial(prune, batch_rows=1, max_batches=1)
    monkeypatch.setattr(retention_tasks, "prune", small)

    retention_tasks.prune_expired(db=factory, settings=settings, jobs=jobs)
    assert jobs.names == [retention_tasks.PRUNE_TASK]  # one of two deleted: the rest next
    retention_tasks.prune_expired(db=factory, settings=settings, jobs=jobs)
    retention_tasks.prune_expired(db=factory, settings=settings, jobs=jobs)

    assert jobs.names == [retention_tasks.PRUNE_TASK] * 2
    with unit_of_work(factory) as session:
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 1


def test_the_scheduler_sends_the_prune_at_start_and_then_daily(
    factory: sessionmaker[Session],
) -> None:
    now = [0.0]
    jobs = RecordingJobs()
    scheduler = Scheduler(factory, jobs, Schedule(), clock=lambda: now[0])

    for at in (0.0, 3600.0, 86_399.0, 86_400.0, 100_000.0):
        now[0] = at
        scheduler.tick()

    assert jobs.names.count(retention_tasks.PRUNE_TASK) == 2


def test_db_prune_prints_the_rows_deleted_per_table(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    _seed(factory)
    env = {"STORESYNC_DATABASE_URL": database_url, "STORESYNC_DATA_DIR": str(tmp_path)}

    result = CliRunner().invoke(cli, ["db", "prune", "--json"], env=env)

    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["deleted"] == {"webhook_events": 4, "rejected_deliveries": 2, "sync_jobs": 3}
