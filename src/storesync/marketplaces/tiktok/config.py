"""The app-level settings of a TikTok Shop app."""

from __future__ import annotations

from dataclasses import dataclass, field

from storesync.marketplaces.http import Timeouts


@dataclass(frozen=True, slots=True)
class TikTokAppConfig:
    app_key: str
    app_secret: str = field(repr=False)  # the HMAC key: never in logs or reprs
    base_url: str = "https://open-api.tiktokglobalshop.com"
    auth_url: str = "https://auth.tiktok-shops.com"  # token get/refresh host
    # The consent page. With a service_id the current page is used; without, the legacy
    # `{auth_url}/oauth/authorize?app_key` page (docs/platforms/tiktok.md#oauth).
    consent_url: str = "https://services.tiktokshop.com/open/authorize"
    service_id: str | None = None
    timeouts: Timeouts = field(default_factory=Timeouts)

    def __post_init__(self) -> None:
        for name in ("base_url", "auth_url", "consent_url"):
            object.__setattr__(self, name, getattr(self, name).rstrip("/"))
