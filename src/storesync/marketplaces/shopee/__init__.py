"""Shopee Open Platform v2. Facts and sources: docs/platforms/shopee.md."""

from __future__ import annotations

from storesync.marketplaces.shopee.client import ShopeeClient
from storesync.marketplaces.shopee.config import ShopeeAppConfig

__all__ = ["ShopeeAppConfig", "ShopeeClient"]
