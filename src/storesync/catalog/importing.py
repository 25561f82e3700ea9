"""The catalog import flow: read every product of a shop from its platform, then match them to the
master catalog in one short transaction (never one held across the platform's pages)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from storesync.catalog.service import CatalogService, ImportCounts
from storesync.db.engine import unit_of_work
from storesync.db.models import Shop
from storesync.inventory.service import DirtyShopHook, InventoryService
from storesync.job.records import JobRun
from storesync.marketplaces.base import MarketplaceClient, RemoteProduct


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
    with unit_of_work(db) as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        inventory = InventoryService(session, actor=actor, on_dirty_shop=on_dirty_shop)
        counts = CatalogService(session, inventory).import_products(shop, products)
    for key, value in counts.as_dict().items():
        run.count(key, value)
    return counts
