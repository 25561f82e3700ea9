"""The marketplaces StoreSync speaks to."""

from __future__ import annotations

import enum


class Platform(enum.StrEnum):
    SHOPEE = "shopee"
    TIKTOK = "tiktok"
