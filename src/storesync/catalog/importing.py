"""The catalog import flow: read every product of a shop from its platform, then match them to the
master catalog in one short transaction (never one held across the platform's pages).

Two shops connected back to back import at once. On PostgreSQL both can find the master catalog
empty and seed it: the second then waits on the first's new SKUs and fails with a unique
violation (SQLite serialises writers and never shows it). The matching is re-run in a fresh
transaction instead, which now sees the first shop's catalog and links to it — insert-or-get
through the unique key, as OCA's connectors do.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from storesync.catalog.service import CatalogService, ImportCounts
from storesync.db.engine import unit_of_work
from storesync.db.models import Shop
from storesync.inventory.service import DirtyShopHook, InventoryService
from storesync.job.records import JobRun
from storesync.marketplaces.base import MarketplaceClient, RemoteProduct

log = structlog.get_logger(__name__)

# Each concurrent import that wins a race adds what the others then find; one retry per other
# import running at once is plenty (four shops connected together: measured on PostgreSQL).
MATCH_ATTEMPTS = 5


def import_catalog(
    db: sessionmaker[Session],
    client: MarketplaceClient,
    shop_id: int,
    run: JobRun,
    *,
    on_dirty_shop: DirtyShopHook,
    actor: str = "catalog-import",
    on_product: Callable[[RemoteProduct], None] | None = None,
    on_read: Callable[[int], None] | None = None,
) -> ImportCounts:
    """`on_product` sees each product as it is read, `on_read` the total (progress bars)."""
    products = []
    for product in client.list_products():
        products.append(product)
        if on_product is not None:
            on_product(product)
    if on_read is not None:
        on_read(len(products))
    for attempt in range(1, MATCH_ATTEMPTS + 1):
        try:
            with unit_of_work(db) as session:
                shop = session.get(Shop, shop_id)
                assert shop is not None
                inventory = InventoryService(session, actor=actor, on_dirty_shop=on_dirty_shop)
                counts = CatalogService(session, inventory).import_products(shop, products)
            break
        except IntegrityError as exc:
            if attempt == MATCH_ATTEMPTS:
                raise
            # Another import inserted the same SKU or listing first: match again against it.
            log.info("catalog_import_raced", shop_id=shop_id, attempt=attempt, error=_name(exc))
    for key, value in counts.as_dict().items():
        run.count(key, value)
    return counts


def _name(exc: IntegrityError) -> str:
    return type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__
