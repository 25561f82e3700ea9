"""TikTok Shop's order and product statuses in StoreSync's words
(docs/platforms/tiktok.md#order-statuses)."""

from __future__ import annotations

from collections.abc import Mapping

from storesync.domain.order_status import OrderStatus
from storesync.errors import PlatformAPIError
from storesync.marketplaces.base import ListingStatus

ORDER_STATUS: Mapping[str, OrderStatus] = {
    "UNPAID": OrderStatus.PENDING,
    "ON_HOLD": OrderStatus.READY_TO_SHIP,  # UK: paid, held for fraud checks
    "AWAITING_SHIPMENT": OrderStatus.READY_TO_SHIP,
    "PARTIALLY_SHIPPING": OrderStatus.READY_TO_SHIP,
    "AWAITING_COLLECTION": OrderStatus.READY_TO_SHIP,
    "IN_TRANSIT": OrderStatus.SHIPPED,
    "DELIVERED": OrderStatus.DELIVERED,
    "COMPLETED": OrderStatus.COMPLETED,
    "CANCELLED": OrderStatus.CANCELLED,
}

PRODUCT_STATUS: Mapping[str, ListingStatus] = {
    "ACTIVATE": ListingStatus.ACTIVE,
    "SELLER_DEACTIVATED": ListingStatus.INACTIVE,
    "DRAFT": ListingStatus.INACTIVE,
    "PENDING": ListingStatus.UNDER_REVIEW,
    "FAILED": ListingStatus.BANNED,  # failed the audit: hidden by the platform
    "PLATFORM_DEACTIVATED": ListingStatus.BANNED,
    "FREEZE": ListingStatus.BANNED,
    "DELETED": ListingStatus.DELETED,
}


def order_status(raw: str) -> OrderStatus:
    try:
        return ORDER_STATUS[raw]
    except KeyError:
        # A status we do not know could hold or release stock: guessing would corrupt the ledger.
        raise PlatformAPIError(
            f"TikTok Shop returned an unknown order status {raw!r}",
            details={"platform": "tiktok", "vendor_code": raw},
        ) from None


def product_status(raw: str) -> ListingStatus:
    return PRODUCT_STATUS.get(raw, ListingStatus.INACTIVE)
