"""Connecting shops through each platform's OAuth flow, and listing them.

The `state` we send through the consent page is an HMAC-signed, time-limited token naming the
platform, so a callback we did not start (CSRF) or a replayed old one is refused without storing
anything server-side.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from storesync.db.models import Shop
from storesync.domain.platform import Platform
from storesync.errors import AuthenticationError, NotFoundError, ValidationError
from storesync.shop.clients import ShopClients

STATE_TTL_S = 15 * 60  # a person may read the consent page for a while; Shopee's link lives 5 min


@dataclass
class ShopService:
    session: Session
    clients: ShopClients
    public_url: str
    state_key: bytes

    def callback_url(self, platform: Platform) -> str:
        return f"{self.public_url}/api/v1/shops/callback/{platform.value}"

    def start_connect(self, platform: Platform) -> str:
        state = self._make_state(platform)
        return self.clients.for_app(platform).authorization_url(self.callback_url(platform), state)

    def complete_connect(
        self, platform: Platform, code: str, state: str | None, shop_hint: str | None
    ) -> list[Shop]:
        if not code:
            raise ValidationError("The platform did not send an authorization code.")
        self._check_state(platform, state)
        authorized = self.clients.for_app(platform).exchange_code(code, shop_hint)
        shops = []
        for granted in authorized:
            shop = self.session.scalar(
                select(Shop).where(
                    Shop.platform == platform.value, Shop.external_id == granted.external_shop_id
                )
            )
            if shop is None:
                shop = Shop(platform=platform.value, external_id=granted.external_shop_id, name="")
                self.session.add(shop)
            shop.name = granted.name or f"{platform.value} {granted.external_shop_id}"
            shop.region = granted.region
            shop.status = "active"  # reconnecting resumes a shop paused by an auth failure
            shop.paused_reason = None
            shop.authorization_expires_at = None  # a new grant: the old end date is gone
            shop.extra_json = json.dumps(dict(granted.extra))
            self.clients.store_tokens(shop, granted.tokens)
            self.session.flush()
            self.clients.forget(shop.id)
            shops.append(shop)
        return shops

    def get(self, shop_id: int) -> Shop:
        shop = self.session.get(Shop, shop_id)
        if shop is None:
            raise NotFoundError(f"No shop {shop_id}.", details={"shop_id": shop_id})
        return shop

    def list(self) -> list[Shop]:
        return list(self.session.scalars(select(Shop).order_by(Shop.id)))

    # -- state ---------------------------------------------------------------------------------

    def _make_state(self, platform: Platform) -> str:
        payload = f"{platform.value}.{int(time.time())}.{secrets.token_urlsafe(8)}"
        mac = hmac.new(self.state_key, payload.encode(), hashlib.sha256).digest()[:16]
        return f"{payload}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"

    def _check_state(self, platform: Platform, state: str | None) -> None:
        try:
            platform_name, issued, nonce, mac = (state or "").split(".")
            payload = f"{platform_name}.{issued}.{nonce}"
            expected = hmac.new(self.state_key, payload.encode(), hashlib.sha256).digest()[:16]
            given = base64.urlsafe_b64decode(mac + "=" * (-len(mac) % 4))
            fresh = time.time() - int(issued) <= STATE_TTL_S
        except ValueError:
            raise AuthenticationError("The connection request is not one we started.") from None
        if not hmac.compare_digest(expected, given) or platform_name != platform.value:
            raise AuthenticationError("The connection request is not one we started.")
        if not fresh:
            raise AuthenticationError("The connection request expired; start again.")
