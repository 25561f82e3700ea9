"""Process a shop's stored order webhooks together: one order-detail call per 50 distinct orders.

The events keep their per-event outcome (processed, skipped, failed with its code). A failed
chunk is handed to `webhook.process`, one job per event, so each failure takes the same queue
retries and ends in the same per-event dead letter as before batching.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import structlog
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from storesync.db.base import utcnow
from storesync.db.engine import unit_of_work
from storesync.db.models import Shop, WebhookEvent
from storesync.errors import StoreSyncError
from storesync.marketplaces.base import MarketplaceClient
from storesync.order.intake import DETAIL_BATCH, import_orders
from storesync.order.service import OrderServiceFactory
from storesync.resilience.queue import queue_delay_ms
from storesync.shop.clients import ShopClients
from storesync.shop.pausing import pause_on_auth_failure
from storesync.webhook import health as webhook_health
from storesync.webhook.service import ORDER_KINDS
from storesync.worker.jobs import Jobs

log = structlog.get_logger(__name__)

BATCH_LIMIT = 200  # 4 detail calls of 50; a bigger backlog continues in the next batch job
RETRY_DELAY_MS = 1_000  # the queue's own first backoff (worker/registry.py MIN_BACKOFF_MS)
SINGLE_TASK = "webhook.process"


@dataclass
class Taken:
    """The batch a job took: event row ids by order id (insertion order = oldest event first)."""

    client: MarketplaceClient | None = None
    by_order: dict[str, list[int]] = field(default_factory=dict)
    failed: list[int] = field(default_factory=list)  # unparseable: handed to webhook.process
    full: bool = False  # BATCH_LIMIT reached: more may be waiting


@dataclass(frozen=True)
class Outcome:
    processed: int
    failed: int
    more: bool


def take(db: sessionmaker[Session], clients: ShopClients, shop_id: int) -> Taken:
    """Read the shop's received events, oldest first; finish those that need no platform call."""
    taken = Taken()
    with unit_of_work(db) as session:
        shop = session.get(Shop, shop_id)
        if shop is None:
            return taken
        if shop.status != "active":
            # Paused: the poll after reconnecting re-reads from the checkpoint and covers them.
            session.execute(
                update(WebhookEvent)
                .where(WebhookEvent.shop_id == shop_id, WebhookEvent.status == "received")
                .values(status="skipped", attempts=WebhookEvent.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            return taken
        rows = list(
            session.scalars(
                select(WebhookEvent)
                .where(WebhookEvent.shop_id == shop_id, WebhookEvent.status == "received")
                .order_by(WebhookEvent.id)
                .limit(BATCH_LIMIT)
            )
        )
        taken.full = len(rows) == BATCH_LIMIT
        client = clients.for_shop(shop)
        taken.client = client
        now = utcnow()
        for row in rows:
            row.attempts += 1
            try:
                event = client.parse_webhook(row.body.encode())
            except StoreSyncError as exc:
                _mark_failed(row, exc)
                taken.failed.append(row.id)
                continue
            if event.kind in ORDER_KINDS and event.order_external_id:
                taken.by_order.setdefault(event.order_external_id, []).append(row.id)
            else:
                row.status, row.processed_at = "processed", now
    return taken


def process(
    db: sessionmaker[Session],
    clients: ShopClients,
    jobs: Jobs,
    orders_for: OrderServiceFactory,
    shop_id: int,
) -> Outcome:
    taken = take(db, clients, shop_id)
    _hand_over(jobs, taken.failed, None)
    if taken.client is None or not taken.by_order:
        return Outcome(0, len(taken.failed), taken.full)
    order_ids = list(taken.by_order)
    done = 0
    for start in range(0, len(order_ids), DETAIL_BATCH):
        chunk = order_ids[start : start + DETAIL_BATCH]
        try:
            with pause_on_auth_failure(db, clients, shop_id):
                import_orders(db, taken.client, orders_for, shop_id, chunk)
        except StoreSyncError as exc:
            # This chunk and the ones not tried yet fail alike (the call failed, not one order).
            rest = [i for order_id in order_ids[start:] for i in taken.by_order[order_id]]
            _fail(db, shop_id, rest, exc)
            _hand_over(jobs, rest, exc)
            log.info("webhook_batch_failed", shop_id=shop_id, events=len(rest), code=exc.code)
            return Outcome(done, len(taken.failed) + len(rest), taken.full)
        ids = [i for order_id in chunk for i in taken.by_order[order_id]]
        _mark_processed(db, ids)
        done += len(ids)
    return Outcome(done, len(taken.failed), taken.full)


def _mark_failed(row: WebhookEvent, exc: StoreSyncError) -> None:
    row.status, row.error_code, row.error = "failed", exc.code.value, exc.message[:500]


def _mark_processed(db: sessionmaker[Session], ids: Sequence[int]) -> None:
    with unit_of_work(db) as session:
        session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id.in_(ids), WebhookEvent.status != "processed")
            .values(status="processed", processed_at=utcnow(), error_code=None, error=None)
            .execution_options(synchronize_session=False)
        )


def _fail(db: sessionmaker[Session], shop_id: int, ids: Sequence[int], exc: StoreSyncError) -> None:
    # Event rows first, shop row second: the lock order intake uses (webhook/service.py).
    with unit_of_work(db) as session:
        session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id.in_(ids), WebhookEvent.status != "processed")
            .values(status="failed", error_code=exc.code.value, error=exc.message[:500])
            .execution_options(synchronize_session=False)
        )
        _record_failures(session, shop_id, len(ids))


def _record_failures(session: Session, shop_id: int, n: int) -> None:
    for _ in range(n):  # one per event, as when each event had its own job
        webhook_health.record_failure(session, shop_id, "processing")


def _hand_over(jobs: Jobs, ids: Sequence[int], exc: StoreSyncError | None) -> None:
    """Each failed event continues alone through `webhook.process`: its queue retries, and a
    per-event dead letter that a person can replay."""
    delay = (queue_delay_ms(exc) if exc is not None else None) or RETRY_DELAY_MS
    for event_row_id in ids:
        jobs.send(SINGLE_TASK, delay_ms=delay, event_row_id=event_row_id)
