"""The checks the platform's API gateway makes before an endpoint runs, in the platform's order.

Faults come first (they model the network and the servers, so even a badly signed call can hit
a 503), then the rate limit, then app key, signature presence, timestamp window, signature,
access token, shop identifier and scope. Each failure is the platform's own code and message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import Request

from marketsim.common import SimContext, gate
from marketsim.tiktok import errors
from marketsim.tiktok.config import TikTokConfig
from marketsim.tiktok.models import Shop
from marketsim.tiktok.signing import join_query, verify_api_sign
from marketsim.tiktok.store import TikTokStore
from marketsim.tiktok.tokens import AccessToken, TokenStore

TOKEN_HEADER = "x-tts-access-token"  # noqa: S105 - a header name, not a secret


@dataclass(frozen=True)
class Route:
    """What an endpoint needs from the gateway."""

    family: str  # fault / rate-limit family: auth, product, inventory, order, logistics, event
    scope: str | None = None  # required access scope; None = unsigned token-host call
    shop_scoped: bool = True  # needs `shop_cipher`
    cipher_rejected: bool = False  # `/authorization/*` and friends refuse `shop_cipher`


@dataclass(frozen=True)
class Caller:
    query: dict[str, str]
    body: bytes
    token: AccessToken | None
    shop: Shop | None

    def require_shop(self) -> Shop:
        assert self.shop is not None, "route declared shop_scoped"
        return self.shop


class ConnectionGone(Exception):
    """A "reset" fault already aborted the TCP connection; nothing can be answered."""


def route_path(request: Request) -> str:
    """The route template (`/product/202309/products/{product_id}`), so call counts stay few."""
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else request.url.path


class Gateway:
    def __init__(
        self,
        *,
        app_key: str,
        app_secret: str,
        config: TikTokConfig,
        ctx: SimContext,
        tokens: TokenStore,
        store: TikTokStore,
    ) -> None:
        self.app_key = app_key
        self.app_secret = app_secret
        self._config = config
        self._ctx = ctx
        self._tokens = tokens
        self._store = store

    async def admit(self, request: Request, route: Route) -> Caller:
        query = join_query(request.query_params.multi_items())
        await self._faults(request, route.family)
        self._rate_limit(route.family, query.get("shop_cipher") or query.get("app_key", ""))
        body = await request.body()
        if route.scope is None:
            return Caller(query, body, None, None)
        self._check_signature(request, query, body)
        token = self._check_token(request)
        shop = self._check_shop(query, token, route)
        if route.scope not in token.grant.scopes:
            raise errors.TikTokError(errors.SCOPE_DENIED)
        return Caller(query, body, token, shop)

    async def _faults(self, request: Request, family: str) -> None:
        calls = self._ctx.calls
        try:
            kind = await gate(self._ctx.faults, family, request.scope)
        except httpx.TimeoutException:
            calls.record(route_path(request), "timeout")
            raise
        except httpx.TransportError:
            calls.record(route_path(request), "reset")
            raise
        if kind == "reset":
            calls.record(route_path(request), "reset")
            raise ConnectionGone
        if kind == "timeout":
            raise errors.TikTokError(errors.REQUEST_TIMEOUT)
        if kind == "429":
            raise errors.TikTokError(errors.RATE_LIMITED)
        if kind == "permission":
            raise errors.TikTokError(errors.SCOPE_DENIED)
        if kind == "5xx":
            # Alternate 500 and 503 (clients must treat both as transient), keyed on the
            # injector's count so the sequence restarts with every fault profile, like its RNG.
            count = self._ctx.faults.injected_counts().get("5xx", 1)
            spec = errors.INTERNAL_ERROR if count % 2 else errors.SERVICE_UNAVAILABLE
            raise errors.TikTokError(spec)

    def _rate_limit(self, family: str, key: str) -> None:
        per_second = self._ctx.faults.profile.rate_limit(family)
        if not self._ctx.limiter.allow(family, key, per_second):
            raise errors.TikTokError(errors.RATE_LIMITED)

    def _check_signature(self, request: Request, query: dict[str, str], body: bytes) -> None:
        if query.get("app_key") != self.app_key:
            raise errors.TikTokError(errors.INVALID_APP_KEY)
        sign = query.get("sign")
        if not sign:
            raise errors.TikTokError(errors.MISSING_SIGN)
        self._check_timestamp(query.get("timestamp"))
        content_type = request.headers.get("content-type", "")
        multipart = content_type.lower().startswith("multipart/form-data")
        if not verify_api_sign(
            self.app_secret, request.url.path, query, body, sign, multipart=multipart
        ):
            raise errors.TikTokError(errors.INVALID_SIGN)

    def _check_timestamp(self, raw: str | None) -> None:
        try:
            timestamp = int(raw or "")
        except ValueError as exc:
            raise errors.TikTokError(errors.TIMESTAMP_MISSING) from exc
        if timestamp < 0:
            raise errors.TikTokError(errors.TIMESTAMP_NEGATIVE)
        now = self._ctx.clock.now()
        if timestamp < now - self._config.timestamp_past_s:
            raise errors.TikTokError(errors.TIMESTAMP_TOO_OLD)
        if timestamp > now + self._config.timestamp_future_s:
            raise errors.TikTokError(errors.TIMESTAMP_TOO_NEW)

    def _check_token(self, request: Request) -> AccessToken:
        token = request.headers.get(TOKEN_HEADER, "")
        # A revoked token looks like any dead token to the client: "header is invalid".
        if not token or self._ctx.faults.is_revoked(token):
            raise errors.TikTokError(errors.INVALID_TOKEN)
        return self._tokens.check_access(token)

    def _check_shop(self, query: dict[str, str], token: AccessToken, route: Route) -> Shop | None:
        cipher = query.get("shop_cipher")
        if route.cipher_rejected and cipher is not None:
            raise errors.TikTokError(errors.UNEXPECTED_SHOP_CIPHER)
        if not route.shop_scoped:
            return None
        if not cipher:
            raise errors.TikTokError(errors.MISSING_SHOP_CIPHER)
        shop = self._store.shop_by_cipher(cipher)
        if shop is None or shop.id not in token.grant.shop_ids:
            raise errors.TikTokError(errors.TOKEN_SHOP_MISMATCH)
        return shop


def parse_json_body(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object; empty = {}. Anything else is the platform's 36009022."""
    if not body.strip():
        return {}
    try:
        parsed = json.loads(body)
    except ValueError as exc:
        raise errors.TikTokError(errors.INVALID_BODY_FORMAT) from exc
    if not isinstance(parsed, dict):
        raise errors.TikTokError(errors.INVALID_BODY_FORMAT)
    return parsed
