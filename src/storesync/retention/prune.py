"""Delete what is kept only for a while, once it is older than the cutoff.

Pruned, each only once finished: webhook events (processed, ignored, skipped, or the rejected
records of older versions), rejected-delivery samples, job records. Never pruned, and so not
listed: the ledger and orders (the proof of every stock move and sale), dead letters (a person
resolves them), shops, catalog and listings. An event still `received` is work to do and a
`failed` one is what its dead letter's replay reads, so neither is finished.

Deletes go in batches of BATCH_ROWS, one short transaction each: a month of backlog at 10
orders/s is ~10 M webhook rows, and one transaction deleting them would hold locks (and, on
SQLite, the only writer slot) that intake and the workers wait on. One run stops after
MAX_BATCHES per table and says so; the task sends itself again for the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from storesync.db.base import Base
from storesync.db.engine import unit_of_work
from storesync.db.models import RejectedDelivery, SyncJob, WebhookEvent

FINISHED_EVENTS = ("processed", "ignored", "skipped", "rejected")
FINISHED_JOBS = ("succeeded", "partial", "failed")
# ~1000 rows is a few milliseconds of locks per transaction on either database.
BATCH_ROWS = 1_000
MAX_BATCHES = 50  # 50k rows per table per run: seconds, well inside the task's time limit


@dataclass(frozen=True)
class Rule:
    """One kind of record that expires: its table, the stamp its age is read from, and when it
    counts as finished (only finished records are ever deleted)."""

    table: str
    model: type[Base]
    stamp: InstrumentedAttribute[Any]
    finished: ColumnElement[bool]


RULES: tuple[Rule, ...] = (
    Rule(
        "webhook_events",
        WebhookEvent,
        WebhookEvent.received_at,
        WebhookEvent.status.in_(FINISHED_EVENTS),
    ),
    Rule("rejected_deliveries", RejectedDelivery, RejectedDelivery.received_at, true()),
    Rule("sync_jobs", SyncJob, SyncJob.finished_at, SyncJob.status.in_(FINISHED_JOBS)),
    # Notifications (issue 11) are one more line here: their table, their sent-at stamp, and
    # their delivered-or-given-up states as `finished`.
)


@dataclass(frozen=True)
class Pruned:
    counts: dict[str, int]  # rows deleted, by table
    more: bool  # a table still had expired rows when its batches ran out: run again


def prune(
    factory: sessionmaker[Session],
    cutoff: datetime,
    rules: Sequence[Rule] = RULES,
    *,
    batch_rows: int = BATCH_ROWS,
    max_batches: int = MAX_BATCHES,
) -> Pruned:
    """Delete every finished record older than `cutoff`, up to `max_batches` per table."""
    counts: dict[str, int] = {}
    more = False
    for rule in rules:
        deleted, left = _prune_table(factory, rule, cutoff, batch_rows, max_batches)
        counts[rule.table] = deleted
        more = more or left
    return Pruned(counts, more)


def _prune_table(
    factory: sessionmaker[Session], rule: Rule, cutoff: datetime, batch_rows: int, batches: int
) -> tuple[int, bool]:
    deleted = 0
    for _ in range(batches):
        with unit_of_work(factory) as session:
            found, gone = _delete_batch(session, rule, cutoff, batch_rows)
        deleted += gone
        if found < batch_rows:
            return deleted, False
    return deleted, True


def _delete_batch(session: Session, rule: Rule, cutoff: datetime, limit: int) -> tuple[int, int]:
    """(rows found, rows deleted): ids first, so the delete is by primary key on every database
    (SQLite and PostgreSQL both lack DELETE … LIMIT); the conditions again in the delete, so a
    row that changed in between is left alone."""
    expired = (rule.stamp < cutoff, rule.finished)
    id_column = rule.model.__table__.c.id
    ids = list(session.scalars(select(id_column).where(*expired).order_by(id_column).limit(limit)))
    if not ids:
        return 0, 0
    result = session.execute(
        delete(rule.model)
        .where(id_column.in_(ids), *expired)
        .execution_options(synchronize_session=False)
    )
    return len(ids), int(getattr(result, "rowcount", 0) or 0)
