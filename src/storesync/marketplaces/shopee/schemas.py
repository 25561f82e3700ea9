"""Shopee's JSON shapes (docs/platforms/shopee.md#oauth,
docs/platforms/shopee.md#endpoints-and-batch-limits): the only place its field names live.

Models read answers leniently (unknown fields ignored, optional ones defaulted) because Shopee adds
fields without notice; what we rely on is required, so a changed shape fails loudly as an
unreadable response instead of syncing zeros.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


# --- tokens (top level, no `response` wrapper) ---------------------------------------------------


class TokenAnswer(_In):
    access_token: str
    refresh_token: str
    expire_in: int  # seconds
    shop_id_list: list[int] = Field(default_factory=list)
    merchant_id_list: list[int] = Field(default_factory=list)


class ShopInfoAnswer(_In):
    shop_name: str = ""
    region: str | None = None


# --- products ------------------------------------------------------------------------------------


class ItemRef(_In):
    item_id: int
    item_status: str | None = None
    update_time: int | None = None


class ItemListPage(_In):
    item: list[ItemRef] = Field(default_factory=list)
    total_count: int = 0
    has_next_page: bool = False
    next_offset: int = 0


class PriceInfo(_In):
    currency: str | None = None
    current_price: Decimal | None = None
    original_price: Decimal


class StockSummary(_In):
    total_reserved_stock: int = 0
    total_available_stock: int


class StockInfo(_In):
    summary_info: StockSummary


class ItemBaseInfo(_In):
    item_id: int
    item_name: str
    item_sku: str | None = None
    item_status: str
    update_time: int | None = None
    has_model: bool = False
    price_info: list[PriceInfo] = Field(default_factory=list)  # absent when the item has models
    stock_info_v2: StockInfo | None = None


class ItemBaseInfoList(_In):
    item_list: list[ItemBaseInfo] = Field(default_factory=list)


class ModelInfo(_In):
    model_id: int
    model_sku: str | None = None
    price_info: list[PriceInfo]
    stock_info_v2: StockInfo


class ModelList(_In):
    model: list[ModelInfo] = Field(default_factory=list)


class ModelFailure(_In):
    model_id: int = 0
    failed_reason: str = ""


class StockSuccess(_In):
    model_id: int = 0
    stock: int


class UpdateStockAnswer(_In):
    failure_list: list[ModelFailure] = Field(default_factory=list)
    success_list: list[StockSuccess] = Field(default_factory=list)


class PriceSuccess(_In):
    model_id: int = 0


class UpdatePriceAnswer(_In):
    failure_list: list[ModelFailure] = Field(default_factory=list)
    success_list: list[PriceSuccess] = Field(default_factory=list)


# --- orders --------------------------------------------------------------------------------------


class OrderListEntry(_In):
    order_sn: str
    order_status: str | None = None


class OrderListPage(_In):
    more: bool = False
    next_cursor: str = ""
    order_list: list[OrderListEntry] = Field(default_factory=list)


class OrderItem(_In):
    item_id: int
    model_id: int = 0
    item_sku: str | None = None
    model_sku: str | None = None
    model_quantity_purchased: int
    model_discounted_price: Decimal


class OrderDetail(_In):
    order_sn: str
    order_status: str
    currency: str | None = None
    create_time: int
    update_time: int
    item_list: list[OrderItem] = Field(default_factory=list)


class OrderDetailList(_In):
    order_list: list[OrderDetail] = Field(default_factory=list)


# --- push ----------------------------------------------------------------------------------------


class LostPush(_In):
    shop_id: int | None = None
    code: int
    timestamp: int | None = None
    data: str | dict[str, Any] | None = None  # a JSON string in this API, an object in live pushes


class LostPushPage(_In):
    push_message_list: list[LostPush] = Field(default_factory=list)
    has_next_page: bool = False
    last_message_id: int | str | None = None


# --- request bodies ------------------------------------------------------------------------------


def stock_body(item_id: int, stocks: list[tuple[int, int]]) -> dict[str, Any]:
    """`seller_stock` is the one writable stock; no location_id = the shop's default location."""
    return {
        "item_id": item_id,
        "stock_list": [
            {"model_id": model_id, "seller_stock": [{"stock": stock}]} for model_id, stock in stocks
        ],
    }


def price_body(item_id: int, prices: list[tuple[int, Decimal]]) -> dict[str, Any]:
    # Shopee takes JSON numbers; prices have ≤ 2 decimals so float round-trips exactly enough.
    return {
        "item_id": item_id,
        "price_list": [
            {"model_id": model_id, "original_price": float(price)} for model_id, price in prices
        ],
    }
