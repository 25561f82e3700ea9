"""Builders for clients talking to an in-memory httpx.MockTransport (no servers)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from storesync.marketplaces.base import ShopCredentials, TokenSet
from storesync.marketplaces.http import Timeouts
from storesync.marketplaces.shopee import ShopeeAppConfig, ShopeeClient
from storesync.marketplaces.tiktok import TikTokAppConfig, TikTokClient

NOW = 1_700_000_000.0
TOKENS = TokenSet(
    "access-0",
    "refresh-0",
    datetime.fromtimestamp(NOW, UTC) + timedelta(hours=4),
    datetime.fromtimestamp(NOW, UTC) + timedelta(days=30),
)
SHOPEE_APP = ShopeeAppConfig(2001887, "partner-secret", "https://shopee.test", Timeouts())
TIKTOK_APP = TikTokAppConfig(
    "app-key", "app-secret", "https://tiktok.test", "https://auth.tiktok.test"
)

Handler = Callable[[httpx.Request], httpx.Response]


def shopee_ok(response: dict[str, Any]) -> httpx.Response:
    return httpx.Response(
        200, json={"request_id": "sr", "error": "", "message": "", "response": response}
    )


def tiktok_ok(data: dict[str, Any]) -> httpx.Response:
    return httpx.Response(
        200, json={"code": 0, "message": "Success", "request_id": "tr", "data": data}
    )


def body(request: httpx.Request) -> Any:
    return json.loads(request.content) if request.content else None


def shopee_client(handler: Handler) -> ShopeeClient:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    creds = ShopCredentials("10000001", TOKENS)
    return ShopeeClient(SHOPEE_APP, creds, http_client=http, clock=lambda: NOW)


def tiktok_client(handler: Handler) -> TikTokClient:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    creds = ShopCredentials("7000001", TOKENS, {"cipher": "ROW_cipher"})
    return TikTokClient(TIKTOK_APP, creds, http_client=http, clock=lambda: NOW)
