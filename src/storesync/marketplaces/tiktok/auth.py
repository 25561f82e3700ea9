"""TikTok Shop OAuth (docs/platforms/tiktok.md#oauth, docs/platforms/tiktok.md#tokens): consent
link, code exchange, refresh, the shop list.

Token calls go to the auth host, unsigned, with app_secret in the query (TikTok's design; the
query never reaches our logs: only the path is logged). `*_expire_in` are absolute unix times.
"""

from __future__ import annotations

from urllib.parse import urlencode

from storesync.marketplaces.base import AuthorizedShop, TokenSet
from storesync.marketplaces.tiktok import schemas as s
from storesync.marketplaces.tiktok.config import TikTokAppConfig
from storesync.marketplaces.util import utc_from_unix

TOKEN_GET_PATH = "/api/v2/token/get"  # noqa: S105 - a path, not a secret
TOKEN_REFRESH_PATH = "/api/v2/token/refresh"  # noqa: S105 - a path, not a secret
SHOPS_PATH = "/authorization/202309/shops"
LEGACY_CONSENT_PATH = "/oauth/authorize"
CIPHER = "cipher"  # key in ShopCredentials.extra


def authorization_url(app: TikTokAppConfig, redirect_url: str, state: str) -> str:
    # The redirect URL is fixed per app in Partner Center; sending it too is harmless there and
    # lets one local simulator serve several apps.
    if app.service_id:
        query = {"service_id": app.service_id, "state": state, "redirect_uri": redirect_url}
        return f"{app.consent_url}?{urlencode(query)}"
    query = {"app_key": app.app_key, "state": state, "redirect_uri": redirect_url}
    return f"{app.auth_url}{LEGACY_CONSENT_PATH}?{urlencode(query)}"


def token_get_query(app: TikTokAppConfig, code: str) -> list[tuple[str, str]]:
    return [
        ("app_key", app.app_key),
        ("app_secret", app.app_secret),
        ("auth_code", code),
        ("grant_type", "authorized_code"),
    ]


def token_refresh_query(app: TikTokAppConfig, refresh_token: str) -> list[tuple[str, str]]:
    return [
        ("app_key", app.app_key),
        ("app_secret", app.app_secret),
        ("refresh_token", refresh_token),
        ("grant_type", "refresh_token"),
    ]


def token_set(data: s.TokenData) -> TokenSet:
    return TokenSet(
        access_token=data.access_token,
        refresh_token=data.refresh_token,
        access_expires_at=utc_from_unix(data.access_token_expire_in),
        refresh_expires_at=utc_from_unix(data.refresh_token_expire_in),
    )


def authorized_shops(
    data: s.ShopsData, tokens: TokenSet, shop_hint: str | None
) -> list[AuthorizedShop]:
    """Every shop the grant covers (one token serves them all), or only `shop_hint` if given."""
    return [
        AuthorizedShop(shop.id, shop.name, shop.region, tokens, {CIPHER: shop.cipher})
        for shop in data.shops
        if shop_hint is None or shop.id == shop_hint
    ]
