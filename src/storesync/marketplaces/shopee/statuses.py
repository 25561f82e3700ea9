"""Shopee's order and item statuses in StoreSync's words
(docs/platforms/shopee.md#order-statuses)."""

from __future__ import annotations

from collections.abc import Mapping

from storesync.domain.order_status import OrderStatus
from storesync.errors import PlatformAPIError
from storesync.marketplaces.base import ListingStatus

ORDER_STATUS: Mapping[str, OrderStatus] = {
    "UNPAID": OrderStatus.PENDING,
    # Only with request_order_status_pending=true; still holds stock.
    "PENDING": OrderStatus.PENDING,
    "READY_TO_SHIP": OrderStatus.READY_TO_SHIP,
    "PROCESSED": OrderStatus.READY_TO_SHIP,
    "RETRY_SHIP": OrderStatus.READY_TO_SHIP,
    "INVOICE_PENDING": OrderStatus.READY_TO_SHIP,  # BR only
    "IN_CANCEL": OrderStatus.CANCEL_REQUESTED,
    "SHIPPED": OrderStatus.SHIPPED,
    "TO_CONFIRM_RECEIVE": OrderStatus.SHIPPED,
    "COMPLETED": OrderStatus.COMPLETED,
    "CANCELLED": OrderStatus.CANCELLED,
    "TO_RETURN": OrderStatus.RETURNED,
}

ITEM_STATUS: Mapping[str, ListingStatus] = {
    "NORMAL": ListingStatus.ACTIVE,
    "UNLIST": ListingStatus.INACTIVE,
    "REVIEWING": ListingStatus.UNDER_REVIEW,
    "BANNED": ListingStatus.BANNED,
    "SELLER_DELETE": ListingStatus.DELETED,
    "SHOPEE_DELETE": ListingStatus.DELETED,
}

# What list_products asks for: everything a seller may still sell or fix; deleted items are gone.
LISTED_ITEM_STATUSES = ("NORMAL", "UNLIST", "REVIEWING", "BANNED")


def order_status(raw: str) -> OrderStatus:
    try:
        return ORDER_STATUS[raw]
    except KeyError:
        # A status we do not know could hold or release stock: guessing would corrupt the ledger.
        raise PlatformAPIError(
            f"Shopee returned an unknown order status {raw!r}",
            details={"platform": "shopee", "vendor_code": raw},
        ) from None


def item_status(raw: str) -> ListingStatus:
    # Unknown item statuses only affect display; treat them as not sellable.
    return ITEM_STATUS.get(raw, ListingStatus.INACTIVE)
