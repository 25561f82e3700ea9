"""Webhook jobs: a shop's stored order webhooks in batches, one event alone after a failed batch,
the sweep that re-sends batches for events a lost message left behind, and a parked (verified
but unreadable) delivery read again when its dead letter is replayed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storesync.db.base import utcnow
from storesync.db.engine import unit_of_work
from storesync.db.models import WebhookEvent
from storesync.domain.platform import Platform
from storesync.errors import ValidationError
from storesync.listing.requests import push_on_commit
from storesync.order.service import order_services
from storesync.shop.clients import ShopClients
from storesync.webhook import batch
from storesync.webhook.batching import (
    BATCH_TASK,
    batch_key,
    request_batch,
    request_batch_after_commit,
    running_key,
)
from storesync.webhook.service import receive_verified
from storesync.webhook.single import process_one
from storesync.webhook.unparseable import RECEIVE_TASK
from storesync.worker.jobs import Jobs
from storesync.worker.registry import task

STRAGGLER_AGE = timedelta(seconds=30)  # younger events are still in the queue


@task(BATCH_TASK, queue="orders")
def process_batch(
    shop_id: int, *, db: sessionmaker[Session], clients: ShopClients, jobs: Jobs
) -> None:
    """All received order webhooks of a shop, up to 200, in one job (webhook/batch.py)."""
    jobs.started(batch_key(shop_id))
    # One batch per shop at a time: a second would take the events the first is still fetching.
    # It waits its turn, gathering what arrives meanwhile; the lock's TTL guards a dead worker.
    if not jobs.pending.claim(running_key(shop_id)):
        request_batch(jobs, shop_id)
        return
    try:
        outcome = batch.process(db, clients, jobs, order_services(push_on_commit(jobs)), shop_id)
    finally:
        jobs.pending.release(running_key(shop_id))
    if outcome.more:
        request_batch(jobs, shop_id, delay_ms=0)


@task(batch.SINGLE_TASK, queue="orders")
def process(
    event_row_id: int, *, db: sessionmaker[Session], clients: ShopClients, jobs: Jobs
) -> None:
    process_one(db, clients, order_services(push_on_commit(jobs)), event_row_id)


@task("webhook.sweep", queue="default", max_retries=0, dead_letter=False)
def sweep(*, db: sessionmaker[Session], jobs: Jobs) -> None:
    """Ask again for the batch of every shop with events left in `received`."""
    with unit_of_work(db) as session:
        shop_ids = set(
            session.scalars(
                select(WebhookEvent.shop_id)
                .where(
                    WebhookEvent.status == "received",
                    WebhookEvent.received_at < utcnow() - STRAGGLER_AGE,
                    WebhookEvent.shop_id.is_not(None),
                )
                .distinct()
            )
        )
    for shop_id in shop_ids:
        if shop_id is not None:
            request_batch(jobs, shop_id, delay_ms=0)


@task(RECEIVE_TASK, queue="orders")
def receive(
    platform: str,
    body: str,
    cut_at_chars: int | None = None,
    *,
    db: sessionmaker[Session],
    clients: ShopClients,
    jobs: Jobs,
) -> None:
    """Its signature held when it arrived, so it goes straight to parsing: an event now (a new
    dead letter, parked again, if it still cannot be read)."""
    if cut_at_chars is not None:
        raise ValidationError(
            f"This delivery was cut at {cut_at_chars} characters when it was parked, so it"
            " cannot be read whole; discard it (the platform's order is polled anyway).",
            details={"platform": platform},
        )
    which = Platform(platform)
    with unit_of_work(db) as session:
        received = receive_verified(session, clients.for_app(which), which, body.encode())
        if received.event_row_id is not None and received.shop_id is not None:
            request_batch_after_commit(session, jobs, received.shop_id)
