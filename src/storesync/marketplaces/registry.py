"""Platform -> client class and its app-config class. A plain mapping: two platforms need no
plugin discovery. Only `bootstrap.py` should read it."""

from __future__ import annotations

from collections.abc import Mapping

from storesync.domain.platform import Platform
from storesync.marketplaces.shopee import ShopeeAppConfig, ShopeeClient
from storesync.marketplaces.tiktok import TikTokAppConfig, TikTokClient

CLIENTS: Mapping[Platform, type[ShopeeClient] | type[TikTokClient]] = {
    Platform.SHOPEE: ShopeeClient,
    Platform.TIKTOK: TikTokClient,
}

APP_CONFIGS: Mapping[Platform, type[ShopeeAppConfig] | type[TikTokAppConfig]] = {
    Platform.SHOPEE: ShopeeAppConfig,
    Platform.TIKTOK: TikTokAppConfig,
}
