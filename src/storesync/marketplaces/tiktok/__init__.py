"""TikTok Shop Open API 202309. Facts and sources: docs/platforms/tiktok.md."""

from __future__ import annotations

from storesync.marketplaces.tiktok.client import TikTokClient
from storesync.marketplaces.tiktok.config import TikTokAppConfig

__all__ = ["TikTokAppConfig", "TikTokClient"]
