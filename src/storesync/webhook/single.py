"""One stored webhook processed alone: the path a failed batch hands each of its events to, so
each failure gets its own queue retries and, in the end, its own dead letter a person can replay."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from storesync.db.base import utcnow
from storesync.db.engine import unit_of_work
from storesync.db.models import Shop, WebhookEvent
from storesync.errors import StoreSyncError
from storesync.marketplaces.base import MarketplaceClient
from storesync.marketplaces.base import WebhookEvent as ParsedEvent
from storesync.order.intake import import_orders
from storesync.order.service import OrderServiceFactory
from storesync.shop.clients import ShopClients
from storesync.shop.pausing import pause_on_auth_failure
from storesync.webhook import health as webhook_health
from storesync.webhook.service import ORDER_KINDS


def process_one(
    db: sessionmaker[Session],
    clients: ShopClients,
    orders_for: OrderServiceFactory,
    event_row_id: int,
) -> None:
    taken = _take(db, clients, event_row_id)
    if taken is None:
        return
    shop_id, client, event = taken
    try:
        if event.kind in ORDER_KINDS and event.order_external_id:
            with pause_on_auth_failure(db, clients, shop_id):
                import_orders(db, client, orders_for, shop_id, [event.order_external_id])
    except StoreSyncError as exc:
        with unit_of_work(db) as session:
            row = session.get(WebhookEvent, event_row_id)
            if row is not None:
                row.status, row.error_code, row.error = "failed", exc.code.value, exc.message[:500]
            webhook_health.record_failure(session, shop_id, "processing")
        raise
    with unit_of_work(db) as session:
        row = session.get(WebhookEvent, event_row_id)
        if row is not None:
            row.status, row.processed_at = "processed", utcnow()
            row.error_code = row.error = None


def _take(
    db: sessionmaker[Session], clients: ShopClients, event_row_id: int
) -> tuple[int, MarketplaceClient, ParsedEvent] | None:
    with unit_of_work(db) as session:
        row = session.get(WebhookEvent, event_row_id)
        if row is None or row.status == "processed" or row.shop_id is None:
            return None
        row.attempts += 1
        shop = session.get(Shop, row.shop_id)
        assert shop is not None
        if shop.status != "active":
            # Paused: the poll after reconnecting re-reads from the checkpoint and covers it.
            row.status = "skipped"
            return None
        client = clients.for_shop(shop)
        return shop.id, client, client.parse_webhook(row.body.encode())
