"""The simulator's in-memory records. Vendor field names are produced in `views.py`, not here."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

# The full 202309 order status enum, in lifecycle order (docs/platforms/tiktok.md#order-statuses).
# CANCELLED sits apart.
ORDER_FLOW: tuple[str, ...] = (
    "UNPAID",
    "ON_HOLD",
    "AWAITING_SHIPMENT",
    "PARTIALLY_SHIPPING",
    "AWAITING_COLLECTION",
    "IN_TRANSIT",
    "DELIVERED",
    "COMPLETED",
)
CANCELLED = "CANCELLED"
ORDER_STATUSES: frozenset[str] = frozenset((*ORDER_FLOW, CANCELLED))
# Units stay committed (reserved) until the parcel leaves: IN_TRANSIT is the first shipped state.
SHIPPED_STATUSES: frozenset[str] = frozenset({"IN_TRANSIT", "DELIVERED", "COMPLETED"})

PRODUCT_STATUSES: frozenset[str] = frozenset(
    {
        "DRAFT",
        "PENDING",
        "FAILED",
        "ACTIVATE",
        "SELLER_DEACTIVATED",
        "PLATFORM_DEACTIVATED",
        "FREEZE",
        "DELETED",
    }
)

REGION_CURRENCY: dict[str, str] = {
    "MY": "MYR",
    "SG": "SGD",
    "TH": "THB",
    "VN": "VND",
    "PH": "PHP",
    "ID": "IDR",
    "US": "USD",
    "GB": "GBP",
    "UK": "GBP",
}


@dataclass
class Shop:
    id: str
    name: str
    region: str
    cipher: str
    code: str
    open_id: str
    warehouse_id: str
    seller_type: str = "LOCAL"
    # event_type -> address, as set with PUT /event/202309/webhooks.
    webhook_addresses: dict[str, str] = field(default_factory=dict)
    webhook_create_times: dict[str, int] = field(default_factory=dict)

    @property
    def currency(self) -> str:
        return REGION_CURRENCY.get(self.region, "USD")


@dataclass
class Sku:
    id: str
    product_id: str
    seller_sku: str
    price: Decimal
    # `available` is the pushed `quantity`: what buyers can still order. `committed` is what open,
    # not yet shipped orders hold. An order moves units from the first to the second.
    available: int
    committed: int = 0


@dataclass
class Product:
    id: str
    shop_id: str
    title: str
    status: str
    create_time: int
    update_time: int
    skus: list[Sku]
    description: str = ""


@dataclass
class LineItem:
    id: str
    sku_id: str
    product_id: str
    seller_sku: str
    product_name: str
    sale_price: Decimal


@dataclass
class Order:
    id: str
    shop_id: str
    status: str
    create_time: int
    update_time: int
    currency: str
    line_items: list[LineItem]
    paid_time: int | None = None
    cancel_reason: str = ""
    # Where the order's units are: "committed" (reserved), "shipped" (gone) or "released".
    stock_state: str = "committed"
