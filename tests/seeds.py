"""Rows a test starts from: a shop, a variant with stock, its listing on a shop; and what a
platform would answer about them: an order (its lines at the listings' refs), a product."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from storesync.db.models import Listing, Product, Shop, Variant
from storesync.domain.order_status import OrderStatus
from storesync.inventory.service import InventoryService
from storesync.marketplaces.base import (
    ListingRef,
    ListingStatus,
    RemoteOrder,
    RemoteOrderLine,
    RemoteProduct,
    RemoteVariant,
)


def make_shop(session: Session, platform: str = "shopee", external_id: str = "1001") -> Shop:
    shop = Shop(platform=platform, external_id=external_id, name=f"{platform} {external_id}")
    session.add(shop)
    session.flush()
    return shop


def make_variant(session: Session, sku: str, on_hand: int) -> Variant:
    product = Product(name=f"Product {sku}")
    session.add(product)
    session.flush()
    variant = Variant(product_id=product.id, sku=sku, name=product.name, price=Decimal("9.90"))
    session.add(variant)
    session.flush()
    InventoryService(session, actor="test").set_initial(variant.id, on_hand)
    return variant


def listing_ref(sku: str, item: str = "11") -> ListingRef:
    """Where `make_listing` puts a variant on the platform."""
    return ListingRef(item, f"{item}-{sku}")


def make_listing(session: Session, shop: Shop, variant: Variant, item: str = "11") -> Listing:
    ref = listing_ref(variant.sku, item)
    listing = Listing(
        shop_id=shop.id,
        variant_id=variant.id,
        external_item_id=ref.external_item_id,
        external_variant_id=ref.external_variant_id,
        seller_sku=variant.sku,
        confirmed_qty=None,
    )
    session.add(listing)
    session.flush()
    return listing


def remote_order(
    external_id: str,
    status: OrderStatus,
    minute: int,
    lines: list[tuple[str, int]],
) -> RemoteOrder:
    t = datetime(2026, 11, 29, 12, minute, tzinfo=UTC)
    return RemoteOrder(
        external_id=external_id,
        status=status,
        raw_status=status.value.upper(),
        created_at=datetime(2026, 11, 29, 12, 0, tzinfo=UTC),
        updated_at=t,
        currency="SGD",
        lines=tuple(
            RemoteOrderLine(listing_ref(sku), sku, qty, Decimal("9.90")) for sku, qty in lines
        ),
    )


def remote_product(name: str, item: str, *variants: tuple[str, int, int]) -> RemoteProduct:
    """An active product at `item` whose variants are (sku, available, reserved) at the refs
    `make_listing` would give them."""
    return RemoteProduct(
        external_id=item,
        name=name,
        status=ListingStatus.ACTIVE,
        raw_status="NORMAL",
        updated_at=None,
        variants=tuple(
            RemoteVariant(listing_ref(sku, item), sku, Decimal("9.90"), "SGD", available, held)
            for sku, available, held in variants
        ),
    )
