"""TikTok Shop answers -> neutral values. Pure functions, so unit tests can feed them samples."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from storesync.marketplaces.base import (
    ListingRef,
    RemoteOrder,
    RemoteOrderLine,
    RemoteProduct,
    RemoteVariant,
)
from storesync.marketplaces.tiktok import schemas as s
from storesync.marketplaces.tiktok.statuses import order_status, product_status
from storesync.marketplaces.util import average_price, group_by_key, utc_from_unix

CANCELLED_LINE = "CANCELLED"


def variant(
    product_id: str, sku: s.SearchSku, inventory: Mapping[str, s.InventorySku]
) -> RemoteVariant:
    price = sku.price.sale_price if sku.price and sku.price.sale_price is not None else None
    stock = inventory.get(sku.id)
    # Inventory search reports committed units apart; the product search only the quantity.
    available = stock.total_available_quantity if stock else sum(w.quantity for w in sku.inventory)
    return RemoteVariant(
        ref=ListingRef(product_id, sku.id),
        sku=sku.seller_sku or None,
        price=price if price is not None else Decimal(0),
        currency=sku.price.currency if sku.price else None,
        available=available,
        reserved=stock.total_committed_quantity if stock else 0,
    )


def product(item: s.SearchProduct, inventory: Mapping[str, s.InventorySku]) -> RemoteProduct:
    return RemoteProduct(
        external_id=item.id,
        name=item.title,
        status=product_status(item.status),
        raw_status=item.status,
        updated_at=utc_from_unix(item.update_time) if item.update_time else None,
        variants=tuple(variant(item.id, sku, inventory) for sku in item.skus),
    )


def order(item: s.Order) -> RemoteOrder:
    """Line items have no quantity: one line item is one unit, so count them per SKU."""
    items = item.line_items
    if item.status != "CANCELLED":
        # A unit cancelled on its own (partial cancellation) no longer holds stock.
        items = [li for li in items if li.display_status != CANCELLED_LINE]
    lines = []
    for units in group_by_key((li.sku_id, li) for li in items).values():
        first = units[0]
        lines.append(
            RemoteOrderLine(
                ref=ListingRef(first.product_id, first.sku_id),
                sku=first.seller_sku or None,
                quantity=len(units),
                unit_price=average_price([u.sale_price for u in units]),
            )
        )
    return RemoteOrder(
        external_id=item.id,
        status=order_status(item.status),
        raw_status=item.status,
        created_at=utc_from_unix(item.create_time),
        updated_at=utc_from_unix(item.update_time),
        currency=item.payment.currency if item.payment else None,
        lines=tuple(lines),
    )
