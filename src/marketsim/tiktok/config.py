"""The TikTok simulator's knobs that are not faults: token lifetimes, consent redirect, scopes."""

from __future__ import annotations

from dataclasses import dataclass, field

DAY_S = 86_400

# Scope names per endpoint family [INF]: TikTok's scope catalogue is only visible in Partner Center;
# these follow the `seller.<area>.<access>` pattern of the public samples.
SCOPE_AUTHORIZATION = "seller.authorization.info"
SCOPE_PRODUCT_READ = "seller.product.basic"
SCOPE_PRODUCT_WRITE = "seller.product.write"
SCOPE_ORDER_READ = "seller.order.info"
SCOPE_LOGISTICS = "seller.logistics"
SCOPE_WEBHOOK = "seller.shop.info"
ALL_SCOPES: tuple[str, ...] = (
    SCOPE_AUTHORIZATION,
    SCOPE_PRODUCT_READ,
    SCOPE_PRODUCT_WRITE,
    SCOPE_ORDER_READ,
    SCOPE_LOGISTICS,
    SCOPE_WEBHOOK,
)


@dataclass(frozen=True)
class TikTokConfig:
    # ~7 days was seen in one real token; refresh lifetime is undocumented
    # (docs/platforms/tiktok.md#tokens).
    access_token_ttl_s: float = 7 * DAY_S
    refresh_token_ttl_s: float = 365 * DAY_S
    auth_code_ttl_s: float = 30 * 60
    # Partner Center fixes the redirect URL per app; the consent page's `redirect_uri` overrides it
    # so one simulator can serve several local apps.
    redirect_uri: str | None = None
    default_region: str = "MY"
    granted_scopes: tuple[str, ...] = field(default=ALL_SCOPES)
    # Timestamp window of the gateway (common-errors page): 5 minutes back, 30 seconds ahead.
    timestamp_past_s: float = 300
    timestamp_future_s: float = 30
