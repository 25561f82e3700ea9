"""Marketplace clients: one protocol (`base.MarketplaceClient`), one package per platform.

Features import from here or `base`; only `bootstrap.build_client` picks a concrete client (a
plain mapping). Vendor names, codes and quirks never leave `shopee/` and `tiktok/`.
"""

from __future__ import annotations

from storesync.marketplaces.base import (
    AuthorizedShop,
    EventKind,
    ListingRef,
    ListingStatus,
    LostEventBatch,
    MarketplaceClient,
    OrderRef,
    PriceUpdate,
    RemoteOrder,
    RemoteOrderLine,
    RemoteProduct,
    RemoteStock,
    RemoteVariant,
    ShopCredentials,
    StockUpdate,
    TokenSet,
    VariantResult,
    WebhookEvent,
)
from storesync.marketplaces.http import Timeouts, correlation_id_var

__all__ = [
    "AuthorizedShop",
    "EventKind",
    "ListingRef",
    "ListingStatus",
    "LostEventBatch",
    "MarketplaceClient",
    "OrderRef",
    "PriceUpdate",
    "RemoteOrder",
    "RemoteOrderLine",
    "RemoteProduct",
    "RemoteStock",
    "RemoteVariant",
    "ShopCredentials",
    "StockUpdate",
    "Timeouts",
    "TokenSet",
    "VariantResult",
    "WebhookEvent",
    "correlation_id_var",
]
