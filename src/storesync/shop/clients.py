"""One marketplace client per shop, built from the stored (encrypted) credentials.

Clients are cached per shop so the single-flight token refresh works across threads (one
TokenKeeper per shop), and refreshed tokens are written back at once in their own transaction:
Shopee refresh tokens are single use, so the new one must be safe before anything else happens.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from storesync.db.engine import unit_of_work
from storesync.db.models import Shop
from storesync.domain.platform import Platform
from storesync.errors import AuthenticationError
from storesync.marketplaces.base import MarketplaceClient, ShopCredentials, TokenSet
from storesync.shop.crypto import TokenCipher

# (platform, credentials or None for app-level calls, on_tokens) -> client
ClientBuilder = Callable[
    [Platform, ShopCredentials | None, Callable[[TokenSet], None] | None], MarketplaceClient
]


@dataclass
class ShopClients:
    build: ClientBuilder
    cipher: TokenCipher
    session_factory: sessionmaker[Session]
    _cache: dict[int, MarketplaceClient] = field(default_factory=dict)
    _app_clients: dict[Platform, MarketplaceClient] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def for_app(self, platform: Platform) -> MarketplaceClient:
        """A client without shop credentials: consent URLs, code exchange, webhook checks."""
        with self._lock:
            if platform not in self._app_clients:
                self._app_clients[platform] = self.build(platform, None, None)
            return self._app_clients[platform]

    def for_shop(self, shop: Shop) -> MarketplaceClient:
        with self._lock:
            client = self._cache.get(shop.id)
            if client is None:
                client = self.build(
                    Platform(shop.platform), self.credentials(shop), self._saver(shop.id)
                )
                self._cache[shop.id] = client
            return client

    def forget(self, shop_id: int) -> None:
        """Drop a cached client (the shop was reconnected with new tokens)."""
        with self._lock:
            client = self._cache.pop(shop_id, None)
        if client is not None:
            client.close()

    def credentials(self, shop: Shop) -> ShopCredentials:
        if not (shop.access_token_enc and shop.refresh_token_enc):
            raise AuthenticationError(
                f"Shop {shop.name} has no tokens; reconnect it.", details={"shop_id": shop.id}
            )
        assert shop.access_expires_at is not None
        assert shop.refresh_expires_at is not None
        tokens = TokenSet(
            access_token=self.cipher.decrypt(shop.access_token_enc),
            refresh_token=self.cipher.decrypt(shop.refresh_token_enc),
            access_expires_at=shop.access_expires_at,
            refresh_expires_at=shop.refresh_expires_at,
        )
        return ShopCredentials(shop.external_id, tokens, json.loads(shop.extra_json or "{}"))

    def store_tokens(self, shop: Shop, tokens: TokenSet) -> None:
        shop.access_token_enc = self.cipher.encrypt(tokens.access_token)
        shop.refresh_token_enc = self.cipher.encrypt(tokens.refresh_token)
        shop.access_expires_at = tokens.access_expires_at
        shop.refresh_expires_at = tokens.refresh_expires_at

    def _saver(self, shop_id: int) -> Callable[[TokenSet], None]:
        def save(tokens: TokenSet) -> None:
            with unit_of_work(self.session_factory) as session:
                shop = session.get(Shop, shop_id)
                if shop is not None:
                    self.store_tokens(shop, tokens)

        return save

    def close(self) -> None:
        with self._lock:
            clients = [*self._cache.values(), *self._app_clients.values()]
            self._cache.clear()
            self._app_clients.clear()
        for client in clients:
            client.close()
