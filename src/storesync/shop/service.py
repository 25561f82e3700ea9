"""Connecting shops through each platform's OAuth flow, and listing them.

The `state` sent through the consent page is a one-time nonce; only its digest is kept
(`OAuthState`), with the platform, who started the connection and when it expires. A callback is
accepted once, for that platform, within 15 minutes, and not from someone signed in as another
identity; anything else (a callback we did not start, a replay, a state of the other platform) is
refused before the code is exchanged, so nothing is stored. A server-side nonce needs no HMAC, so
no key is derived for it: guessing one means guessing 256 random bits, and a stolen state is
spent by its first use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session

from storesync.audit import service as audit
from storesync.auth.identity import Identity
from storesync.auth.tokens import digest, new_token
from storesync.db.base import utcnow
from storesync.db.models import OAuthState, Shop
from storesync.domain.platform import Platform
from storesync.errors import AuthenticationError, NotFoundError, ValidationError
from storesync.marketplaces.base import AuthorizedShop
from storesync.shop.clients import ShopClients

STATE_TTL = timedelta(minutes=15)  # a person may read the consent page a while; Shopee's: 5 min
MAX_STATE_LENGTH = 100  # ours are 43 characters; anything far longer is not one of them


@dataclass
class ShopService:
    session: Session
    clients: ShopClients
    public_url: str

    def callback_url(self, platform: Platform) -> str:
        return f"{self.public_url}/api/v1/shops/callback/{platform.value}"

    def start_connect(self, platform: Platform, who: Identity) -> str:
        """The consent URL, carrying a new one-time state bound to `who`."""
        now = utcnow()
        self.session.execute(delete(OAuthState).where(OAuthState.expires_at < now))
        nonce = new_token()
        self.session.add(
            OAuthState(
                nonce_hash=digest(nonce),
                platform=platform.value,
                actor=who.actor,
                created_at=now,
                expires_at=now + STATE_TTL,
            )
        )
        self.session.flush()
        return self.clients.for_app(platform).authorization_url(self.callback_url(platform), nonce)

    def redeem_state(
        self, platform: Platform, state: str | None, signed_in: Identity | None
    ) -> str:
        """Spend the state and return who started the connection; AuthenticationError when it
        is not one we issued for `platform`, was used, expired, or `signed_in` is someone else.

        Its own short transaction (the callback commits it before exchanging the code): a state
        is spent even when the exchange then fails, and no write lock waits on the platform."""
        refused = AuthenticationError("The connection request is not one we started.")
        if not state or len(state) > MAX_STATE_LENGTH:
            raise refused
        row = self.session.scalar(select(OAuthState).where(OAuthState.nonce_hash == digest(state)))
        if row is None or row.platform != platform.value:
            raise refused
        if row.expires_at <= utcnow():
            raise AuthenticationError("The connection request expired; start again.")
        if signed_in is not None and signed_in.actor != row.actor:
            raise AuthenticationError(
                "This connection was started by someone else; start it again signed in as you."
            )
        spent = cast(
            CursorResult[Any],
            self.session.execute(delete(OAuthState).where(OAuthState.id == row.id)),
        )
        if spent.rowcount != 1:  # a concurrent callback spent it first (it waited on our lock)
            raise refused
        return row.actor

    def complete_connect(
        self, platform: Platform, code: str, shop_hint: str | None, actor: str
    ) -> list[Shop]:
        """Exchange the code (before touching the database: no lock is held across the call),
        then store each granted shop and its tokens, audited as `actor`'s `shop.connect`."""
        if not code:
            raise ValidationError("The platform did not send an authorization code.")
        authorized = self.clients.for_app(platform).exchange_code(code, shop_hint)
        return [self._store(platform, granted, actor) for granted in authorized]

    def _store(self, platform: Platform, granted: AuthorizedShop, actor: str) -> Shop:
        shop = self.session.scalar(
            select(Shop).where(
                Shop.platform == platform.value, Shop.external_id == granted.external_shop_id
            )
        )
        reconnect = shop is not None
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
        audit.record(
            self.session,
            actor,
            "shop.connect",
            shop.id,
            after={
                "platform": platform.value,
                "external_id": shop.external_id,
                "name": shop.name,
                "reconnect": reconnect,
            },
        )
        return shop

    def get(self, shop_id: int) -> Shop:
        shop = self.session.get(Shop, shop_id)
        if shop is None:
            raise NotFoundError(f"No shop {shop_id}.", details={"shop_id": shop_id})
        return shop

    def list(self, limit: int | None = None, offset: int = 0) -> list[Shop]:
        return list(
            self.session.scalars(select(Shop).order_by(Shop.id).limit(limit).offset(offset))
        )
