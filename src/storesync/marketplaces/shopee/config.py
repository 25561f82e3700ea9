"""The app-level settings of a Shopee partner app."""

from __future__ import annotations

from dataclasses import dataclass, field

from storesync.marketplaces.http import Timeouts


@dataclass(frozen=True, slots=True)
class ShopeeAppConfig:
    partner_id: int
    partner_key: str = field(repr=False)  # the HMAC key: never in logs or reprs
    base_url: str = "https://partner.shopeemobile.com"
    timeouts: Timeouts = field(default_factory=Timeouts)

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
