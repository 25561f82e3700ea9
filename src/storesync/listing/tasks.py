"""Stock push jobs. Each one re-reads its work from the database, so a redelivered, duplicated or
late message is harmless (docs/reliability.md#idempotent-jobs)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storesync.db.engine import unit_of_work
from storesync.db.models import Listing, Shop
from storesync.errors import StoreSyncError
from storesync.job.records import run_job
from storesync.listing.push import PushReport, push_shop
from storesync.listing.requests import PUSH_DEBOUNCE_MS, push_key, pushing_key, request_push
from storesync.resilience.errors import BudgetExhaustedError, CircuitOpenError
from storesync.resilience.queue import queue_delay_ms
from storesync.shop.clients import ShopClients
from storesync.shop.pausing import pause_on_auth_failure
from storesync.worker.jobs import Jobs
from storesync.worker.registry import task

FAILED_RETRY_MS = 5_000  # per-variant failures wait here; a whole failed call uses queue retries


@task("listing.push_stock", queue="push")
def push_stock(
    shop_id: int, *, db: sessionmaker[Session], clients: ShopClients, jobs: Jobs
) -> None:
    jobs.started(push_key(shop_id))
    # One push per shop at a time: a second one would plan the listings the first is still
    # writing and write them again (measured: 2.5x the calls at 10 orders/s with 16 threads).
    # It waits its turn instead; the lock's TTL frees the shop if a worker dies mid-push.
    if not jobs.pending.claim(pushing_key(shop_id)):
        request_push(jobs, shop_id)
        return
    try:
        report = _push(db, clients, shop_id)
    except (CircuitOpenError, BudgetExhaustedError) as refused:
        # Our own breaker or budget said "not now" and the platform was not called. Wait as
        # the one coalesced push of this shop: a queue retry would run beside the pushes the
        # sweep adds every 5 s, and each would end as a dead letter during a long outage.
        request_push(jobs, shop_id, delay_ms=_deferral_ms(refused))
        return
    finally:
        jobs.pending.release(pushing_key(shop_id))
    if report is not None and (report.still_dirty or report.failed):
        # Desired moved while we pushed, or some variants failed: go again.
        request_push(jobs, shop_id, PUSH_DEBOUNCE_MS if not report.failed else FAILED_RETRY_MS)


def _push(db: sessionmaker[Session], clients: ShopClients, shop_id: int) -> PushReport | None:
    with unit_of_work(db) as session:
        shop = session.get(Shop, shop_id)
        if shop is None or shop.status != "active":
            return None
        client = clients.for_shop(shop)
    with pause_on_auth_failure(db, clients, shop_id), run_job(db, "stock", shop_id) as run:
        report = push_shop(db, client, shop_id)
        run.count("pushed", report.confirmed)
        run.count("failed", report.failed)
        if report.landed_late:
            run.count("landed_late", report.landed_late)
        for code, n in report.error_codes.items():
            run.count(f"error_{code}", n)
    return report


def _deferral_ms(refused: StoreSyncError) -> int:
    return queue_delay_ms(refused) or 1_000


@task("listing.sweep_dirty", queue="default", max_retries=0, dead_letter=False)
def sweep_dirty(*, db: sessionmaker[Session], jobs: Jobs) -> None:
    """Re-enqueue pushes for every shop with dirty listings: a lost message only delays a push."""
    with unit_of_work(db) as session:
        shop_ids = set(
            session.scalars(select(Listing.shop_id).where(Listing.dirty.is_(True)).distinct())
        )
    for shop_id in shop_ids:
        request_push(jobs, shop_id, delay_ms=0)
