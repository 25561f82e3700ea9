"""TikTok Shop's JSON shapes (docs/platforms/tiktok.md#oauth,
docs/platforms/tiktok.md#endpoints-and-batch-limits): the only place its field names live.

Lenient on extras (TikTok adds fields), strict on what we rely on, so a changed shape fails as
an unreadable response instead of syncing zeros. Money arrives as decimal strings.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


# --- auth ----------------------------------------------------------------------------------------


class TokenData(_In):
    access_token: str
    access_token_expire_in: int  # absolute unix time, not a duration
    refresh_token: str
    refresh_token_expire_in: int  # absolute unix time
    seller_name: str | None = None
    seller_base_region: str | None = None


class AuthorizedShopData(_In):
    id: str
    name: str = ""
    region: str | None = None
    cipher: str


class ShopsData(_In):
    shops: list[AuthorizedShopData] = Field(default_factory=list)


# --- products ------------------------------------------------------------------------------------


class Price(_In):
    currency: str | None = None
    sale_price: Decimal | None = None
    tax_exclusive_price: Decimal | None = None


class WarehouseQuantity(_In):
    warehouse_id: str | None = None
    quantity: int = 0


class SearchSku(_In):
    id: str
    seller_sku: str | None = None
    price: Price | None = None
    inventory: list[WarehouseQuantity] = Field(default_factory=list)


class SearchProduct(_In):
    id: str
    title: str
    status: str
    update_time: int | None = None
    skus: list[SearchSku] = Field(default_factory=list)


class ProductPage(_In):
    products: list[SearchProduct] = Field(default_factory=list)
    total_count: int = 0
    next_page_token: str = ""


class InventorySku(_In):
    id: str
    seller_sku: str | None = None
    total_available_quantity: int
    total_committed_quantity: int = 0


class InventoryProduct(_In):
    product_id: str
    skus: list[InventorySku] = Field(default_factory=list)


class InventoryData(_In):
    inventory: list[InventoryProduct] = Field(default_factory=list)


class SkuErrorsData(_In):
    """Per-SKU failures of a call answered with code 0 (kept raw for the error table)."""

    errors: list[dict[str, Any]] = Field(default_factory=list)


# --- orders --------------------------------------------------------------------------------------


class Payment(_In):
    currency: str | None = None


class LineItem(_In):
    id: str | None = None
    sku_id: str
    product_id: str
    seller_sku: str | None = None
    sale_price: Decimal
    display_status: str | None = None


class Order(_In):
    id: str
    status: str
    create_time: int
    update_time: int
    payment: Payment | None = None
    line_items: list[LineItem] = Field(default_factory=list)


class OrderPage(_In):
    orders: list[Order] = Field(default_factory=list)
    next_page_token: str = ""


class OrdersData(_In):
    orders: list[Order] = Field(default_factory=list)


class Empty(_In):
    pass


# --- request bodies ------------------------------------------------------------------------------

# The inventory API refuses more (docs/platforms/tiktok.md#endpoints-and-batch-limits).
MAX_QUANTITY = 99_999


def inventory_body(quantities: list[tuple[str, int]]) -> dict[str, Any]:
    # No warehouse_id: valid while the SKU has a single default warehouse (see gaps).
    return {
        "skus": [
            {"id": sku_id, "inventory": [{"quantity": quantity}]} for sku_id, quantity in quantities
        ]
    }


def price_body(prices: list[tuple[str, Decimal, str]]) -> dict[str, Any]:
    return {
        "skus": [
            {"id": sku_id, "price": {"amount": format(amount, "f"), "currency": currency}}
            for sku_id, amount, currency in prices
        ]
    }
