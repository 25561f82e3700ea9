"""The status tables of docs/platforms/shopee.md#order-statuses and
docs/platforms/tiktok.md#order-statuses, row by row, for both platforms."""

from __future__ import annotations

import pytest

from storesync.domain.order_status import OrderStatus
from storesync.errors import PlatformAPIError
from storesync.marketplaces.base import ListingStatus
from storesync.marketplaces.shopee import statuses as shopee
from storesync.marketplaces.tiktok import statuses as tiktok

S = OrderStatus

# Copied from docs/platforms/shopee.md#order-statuses and docs/platforms/tiktok.md#order-statuses
# (vendor -> unified); the test is this table, not the code's.
SHOPEE_SPEC = {
    "UNPAID": S.PENDING,
    "PENDING": S.PENDING,
    "READY_TO_SHIP": S.READY_TO_SHIP,
    "PROCESSED": S.READY_TO_SHIP,
    "RETRY_SHIP": S.READY_TO_SHIP,
    "INVOICE_PENDING": S.READY_TO_SHIP,
    "IN_CANCEL": S.CANCEL_REQUESTED,
    "SHIPPED": S.SHIPPED,
    "TO_CONFIRM_RECEIVE": S.SHIPPED,
    "COMPLETED": S.COMPLETED,
    "CANCELLED": S.CANCELLED,
    "TO_RETURN": S.RETURNED,
}
TIKTOK_SPEC = {
    "UNPAID": S.PENDING,
    "ON_HOLD": S.READY_TO_SHIP,
    "AWAITING_SHIPMENT": S.READY_TO_SHIP,
    "PARTIALLY_SHIPPING": S.READY_TO_SHIP,
    "AWAITING_COLLECTION": S.READY_TO_SHIP,
    "IN_TRANSIT": S.SHIPPED,
    "DELIVERED": S.DELIVERED,
    "COMPLETED": S.COMPLETED,
    "CANCELLED": S.CANCELLED,
}


@pytest.mark.parametrize(("raw", "unified"), SHOPEE_SPEC.items())
def test_shopee_status_maps_as_the_spec_says(raw: str, unified: OrderStatus) -> None:
    assert shopee.order_status(raw) is unified


@pytest.mark.parametrize(("raw", "unified"), TIKTOK_SPEC.items())
def test_tiktok_status_maps_as_the_spec_says(raw: str, unified: OrderStatus) -> None:
    assert tiktok.order_status(raw) is unified


def test_the_tables_hold_nothing_the_spec_does_not() -> None:
    assert dict(shopee.ORDER_STATUS) == SHOPEE_SPEC
    assert dict(tiktok.ORDER_STATUS) == TIKTOK_SPEC


@pytest.mark.parametrize("module", [shopee, tiktok], ids=["shopee", "tiktok"])
def test_an_unknown_order_status_is_an_error_not_a_guess(module: object) -> None:
    with pytest.raises(PlatformAPIError) as info:
        module.order_status("TELEPORTED")  # type: ignore[attr-defined]
    assert info.value.details["vendor_code"] == "TELEPORTED"


def test_listing_statuses() -> None:
    assert shopee.item_status("NORMAL") is ListingStatus.ACTIVE
    assert shopee.item_status("UNLIST") is ListingStatus.INACTIVE
    assert shopee.item_status("BANNED") is ListingStatus.BANNED
    assert shopee.item_status("SHOPEE_DELETE") is ListingStatus.DELETED
    assert tiktok.product_status("ACTIVATE") is ListingStatus.ACTIVE
    assert tiktok.product_status("SELLER_DEACTIVATED") is ListingStatus.INACTIVE
    assert tiktok.product_status("PLATFORM_DEACTIVATED") is ListingStatus.BANNED
    assert tiktok.product_status("PENDING") is ListingStatus.UNDER_REVIEW
