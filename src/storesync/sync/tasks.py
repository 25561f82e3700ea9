"""Sync jobs as named tasks. Each one re-reads its work from the database, so a redelivered,
duplicated or late message is harmless (actors must be idempotent; RELIABILITY.md)."""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from storesync.db.base import utcnow
from storesync.db.engine import unit_of_work
from storesync.db.models import Listing, Shop, WebhookEvent
from storesync.errors import StoreSyncError
from storesync.inventory.service import InventoryService
from storesync.order.service import OrderService
from storesync.resilience.errors import BudgetExhaustedError, CircuitOpenError
from storesync.resilience.queue import queue_delay_ms
from storesync.shop.lifecycle import pause_on_auth_failure
from storesync.sync import orders as order_sync
from storesync.sync import webhook_batch
from storesync.sync.push import push_shop
from storesync.sync.records import run_job
from storesync.webhook import batching
from storesync.webhook import health as webhook_health
from storesync.webhook.service import ORDER_KINDS
from storesync.worker import runtime
from storesync.worker.registry import task

log = structlog.get_logger(__name__)

PUSH_DEBOUNCE_MS = 150  # coalesces a burst of changes into one push; well inside the 1 s goal


def push_key(shop_id: int) -> str:
    return f"push:{shop_id}"


def pushing_key(shop_id: int) -> str:
    return f"pushing:{shop_id}"


def request_push(session: Session, shop_id: int) -> None:
    """The inventory hook: after this transaction commits, make sure a push for the shop runs."""
    jobs = runtime.container().jobs
    from storesync.worker.after_commit import after_commit

    after_commit(
        session,
        push_key(shop_id),
        lambda: jobs.send_coalesced(
            push_key(shop_id), "push_stock", delay_ms=PUSH_DEBOUNCE_MS, shop_id=shop_id
        ),
    )


def order_service(session: Session) -> OrderService:
    return OrderService(session, inventory_service(session, actor="order-sync"))


def inventory_service(session: Session, actor: str = "system") -> InventoryService:
    return InventoryService(session, actor=actor, on_dirty_shop=request_push)


@task("push_stock", queue="push")
def push_stock(shop_id: int) -> None:
    container = runtime.container()
    container.jobs.started(push_key(shop_id))
    # One push per shop at a time: a second one would plan the listings the first is still
    # writing and write them again (measured: 2.5x the calls at 10 orders/s with 16 threads).
    # It waits its turn instead; the lock's TTL frees the shop if a worker dies mid-push.
    if not container.jobs.pending.claim(pushing_key(shop_id)):
        container.jobs.send_coalesced(
            push_key(shop_id), "push_stock", delay_ms=PUSH_DEBOUNCE_MS, shop_id=shop_id
        )
        return
    try:
        with unit_of_work(container.session_factory) as session:
            shop = session.get(Shop, shop_id)
            if shop is None or shop.status != "active":
                return
            client = container.clients.for_shop(shop)
        try:
            with (
                pause_on_auth_failure(shop_id),
                run_job(container.session_factory, "stock", shop_id) as run,
            ):
                report = push_shop(container.session_factory, client, shop_id)
                run.count("pushed", report.confirmed)
                run.count("failed", report.failed)
                for code, n in report.error_codes.items():
                    run.count(f"error_{code}", n)
        except (CircuitOpenError, BudgetExhaustedError) as refused:
            # Our own breaker or budget said "not now" and the platform was not called. Wait as
            # the one coalesced push of this shop: a queue retry would run beside the pushes the
            # sweep adds every 5 s, and each would end as a dead letter during a long outage.
            deferred: StoreSyncError | None = refused
        else:
            deferred = None
    finally:
        container.jobs.pending.release(pushing_key(shop_id))
    if deferred is not None:
        container.jobs.send_coalesced(
            push_key(shop_id),
            "push_stock",
            delay_ms=queue_delay_ms(deferred) or 1_000,
            shop_id=shop_id,
        )
        return
    if report.still_dirty or report.failed:
        # Desired moved while we pushed, or some variants failed: go again (failures back off
        # through the queue's own retry when the whole call fails; per-variant ones wait here).
        delay = PUSH_DEBOUNCE_MS if not report.failed else 5_000
        container.jobs.send_coalesced(
            push_key(shop_id), "push_stock", delay_ms=delay, shop_id=shop_id
        )


@task("process_webhook", queue="orders")
def process_webhook(event_row_id: int) -> None:
    container = runtime.container()
    with unit_of_work(container.session_factory) as session:
        row = session.get(WebhookEvent, event_row_id)
        if row is None or row.status == "processed" or row.shop_id is None:
            return
        row.attempts += 1
        shop = session.get(Shop, row.shop_id)
        assert shop is not None
        if shop.status != "active":
            # Paused: the poll after reconnecting re-reads from the checkpoint and covers it.
            row.status = "skipped"
            return
        client = container.clients.for_shop(shop)
        event = client.parse_webhook(row.body.encode())
        shop_id = shop.id
    try:
        if event.kind in ORDER_KINDS and event.order_external_id:
            with pause_on_auth_failure(shop_id):
                order_sync.import_orders(
                    container.session_factory,
                    client,
                    order_service,
                    shop_id,
                    [event.order_external_id],
                )
    except StoreSyncError as exc:
        with unit_of_work(container.session_factory) as session:
            row = session.get(WebhookEvent, event_row_id)
            if row is not None:
                row.status, row.error_code, row.error = "failed", exc.code.value, exc.message[:500]
            webhook_health.record_failure(session, shop_id, "processing")
        raise
    with unit_of_work(container.session_factory) as session:
        row = session.get(WebhookEvent, event_row_id)
        if row is not None:
            row.status, row.processed_at, row.error_code, row.error = (
                "processed",
                utcnow(),
                None,
                None,
            )


@task(batching.BATCH_TASK, queue="orders")
def process_webhooks(shop_id: int) -> None:
    """All received order webhooks of a shop, up to 200, in one job (sync/webhook_batch.py)."""
    container = runtime.container()
    container.jobs.started(batching.batch_key(shop_id))
    # One batch per shop at a time: a second would take the events the first is still fetching.
    # It waits its turn, gathering what arrives meanwhile; the lock's TTL guards a dead worker.
    if not container.jobs.pending.claim(batching.running_key(shop_id)):
        batching.request_batch(container.jobs, shop_id)
        return
    try:
        outcome = webhook_batch.process(container, shop_id, order_service)
    finally:
        container.jobs.pending.release(batching.running_key(shop_id))
    if outcome.more:
        batching.request_batch(container.jobs, shop_id, delay_ms=0)


@task("poll_orders", queue="orders")
def poll_orders(shop_id: int, since: str | None = None, kind: str = "orders") -> None:
    container = runtime.container()
    container.jobs.started(f"poll:{shop_id}")
    with unit_of_work(container.session_factory) as session:
        shop = session.get(Shop, shop_id)
        if shop is None or shop.status != "active":
            return
        client = container.clients.for_shop(shop)
    since_dt = datetime.fromisoformat(since) if since else None
    with (
        pause_on_auth_failure(shop_id),
        run_job(container.session_factory, kind, shop_id, since=since) as run,
    ):
        order_sync.poll_orders(
            container.session_factory, client, order_service, shop_id, run, since=since_dt
        )
        fetch_lost_pushes(shop_id, run)
    if kind == "orders" and since is None:
        quiet = timedelta(seconds=container.settings.webhook_quiet_s)
        webhook_health.after_poll(container.session_factory, shop_id, run.counts, quiet)


def fetch_lost_pushes(shop_id: int, run: object) -> None:
    """Shopee keeps undelivered pushes for 3 days; store them like live ones, then confirm."""
    container = runtime.container()
    with unit_of_work(container.session_factory) as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        client = container.clients.for_shop(shop)
        platform = shop.platform
    from storesync.domain.platform import Platform
    from storesync.webhook.service import store

    for _ in range(10):  # 100 per page; bounded so one shop cannot monopolise a worker
        batch = client.fetch_lost_events()
        if not batch.events:
            break
        with unit_of_work(container.session_factory) as session:
            for event in batch.events:
                received = store(session, Platform(platform), event, _json(event.raw))
                if received.event_row_id is not None:
                    batching.request_batch_after_commit(session, container.jobs, shop_id)
        if batch.cursor:
            client.confirm_lost_events(batch.cursor)
        if not batch.has_more:
            break


def _json(raw: object) -> str:
    import json

    return json.dumps(raw, separators=(",", ":"), default=str)


@task("import_catalog", queue="default", max_retries=3, time_limit_ms=600_000)
def import_catalog(shop_id: int, job_id: int | None = None) -> None:
    from storesync.catalog.service import CatalogService

    container = runtime.container()
    with unit_of_work(container.session_factory) as session:
        shop = session.get(Shop, shop_id)
        if shop is None:
            return
        client = container.clients.for_shop(shop)
    with (
        pause_on_auth_failure(shop_id),
        run_job(container.session_factory, "import", shop_id, job_id=job_id) as run,
    ):
        products = list(client.list_products())
        with unit_of_work(container.session_factory) as session:
            shop = session.get(Shop, shop_id)
            assert shop is not None
            counts = CatalogService(
                session, inventory_service(session, "catalog-import")
            ).import_products(shop, products)
        for key, value in counts.as_dict().items():
            run.count(key, value)


@task("sweep_dirty", queue="default", max_retries=0, dead_letter=False)
def sweep_dirty() -> None:
    """Re-enqueue pushes for every shop with dirty listings: a lost message only delays a push."""
    container = runtime.container()
    with unit_of_work(container.session_factory) as session:
        shop_ids = set(
            session.scalars(select(Listing.shop_id).where(Listing.dirty.is_(True)).distinct())
        )
        pending = set(
            session.scalars(
                select(WebhookEvent.shop_id)
                .where(
                    WebhookEvent.status == "received",
                    # Younger ones are still in the queue; only stragglers need a second send.
                    WebhookEvent.received_at < utcnow() - timedelta(seconds=30),
                    WebhookEvent.shop_id.is_not(None),
                )
                .distinct()
            )
        )
    for shop_id in shop_ids:
        container.jobs.send_coalesced(push_key(shop_id), "push_stock", delay_ms=0, shop_id=shop_id)
    for webhook_shop_id in pending:
        if webhook_shop_id is not None:
            batching.request_batch(container.jobs, webhook_shop_id, delay_ms=0)
