"""Shopee answers -> neutral values. Pure functions, so the unit tests can feed them samples."""

from __future__ import annotations

from decimal import Decimal

from storesync.marketplaces.base import (
    ListingRef,
    RemoteOrder,
    RemoteOrderLine,
    RemoteProduct,
    RemoteVariant,
)
from storesync.marketplaces.shopee import schemas as s
from storesync.marketplaces.shopee.statuses import item_status, order_status
from storesync.marketplaces.util import average_price, group_by_key, utc_from_unix

NO_MODEL_ID = 0  # Shopee's model id for an item without variants


def _price(prices: list[s.PriceInfo]) -> tuple[Decimal, str | None]:
    # The seller sets original_price (update_price writes it); current_price includes promotions.
    if not prices:
        return Decimal(0), None
    return prices[0].original_price, prices[0].currency


def _stock(info: s.StockInfo | None) -> tuple[int, int]:
    if info is None:
        return 0, 0
    summary = info.summary_info
    return summary.total_available_stock, summary.total_reserved_stock


def single_variant(info: s.ItemBaseInfo) -> RemoteVariant:
    price, currency = _price(info.price_info)
    available, reserved = _stock(info.stock_info_v2)
    ref = ListingRef(str(info.item_id), str(NO_MODEL_ID))
    return RemoteVariant(ref, info.item_sku or None, price, currency, available, reserved)


def model_variant(item_id: int, model: s.ModelInfo) -> RemoteVariant:
    price, currency = _price(model.price_info)
    available, reserved = _stock(model.stock_info_v2)
    ref = ListingRef(str(item_id), str(model.model_id))
    return RemoteVariant(ref, model.model_sku or None, price, currency, available, reserved)


def product(info: s.ItemBaseInfo, variants: list[RemoteVariant]) -> RemoteProduct:
    return RemoteProduct(
        external_id=str(info.item_id),
        name=info.item_name,
        status=item_status(info.item_status),
        raw_status=info.item_status,
        updated_at=utc_from_unix(info.update_time) if info.update_time else None,
        variants=tuple(variants),
    )


def order(detail: s.OrderDetail) -> RemoteOrder:
    # One line per variant: Shopee may list a model twice (add-on deals); consumers key by ref.
    by_ref = group_by_key((f"{item.item_id}:{item.model_id}", item) for item in detail.item_list)
    lines = []
    for items in by_ref.values():
        first = items[0]
        prices = [
            i.model_discounted_price for i in items for _ in range(i.model_quantity_purchased)
        ]
        lines.append(
            RemoteOrderLine(
                ref=ListingRef(str(first.item_id), str(first.model_id)),
                sku=first.model_sku or first.item_sku or None,
                quantity=sum(i.model_quantity_purchased for i in items),
                unit_price=average_price(prices) if prices else first.model_discounted_price,
            )
        )
    return RemoteOrder(
        external_id=detail.order_sn,
        status=order_status(detail.order_status),
        raw_status=detail.order_status,
        created_at=utc_from_unix(detail.create_time),
        updated_at=utc_from_unix(detail.update_time),
        currency=detail.currency,
        lines=tuple(lines),
    )
