"""One marketplace client per shop, built from the stored (encrypted) credentials.

Clients are cached per shop so the single-flight token refresh works across threads (one
TokenKeeper per shop), and refreshed tokens are written back at once in their own transaction:
Shopee refresh tokens are single use, so the new one must be safe before anything else happens.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from storesync.db.engine import unit_of_work
from storesync.db.models import Shop
from storesync.domain.platform import Platform
from storesync.errors import AuthenticationError
from storesync.marketplaces.base import MarketplaceClient, ShopCredentials, TokenSet
from storesync.shop.crypto import TokenCipher

# A call's worst case is a few in-call retries of a 10 s read timeout; 2 min outlives it.
RETIRE_AFTER_S = 120.0

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
    # Access-token expiry each cached client holds, to notice pairs replaced elsewhere.
    _held_until: dict[int, datetime | None] = field(default_factory=dict)
    # Replaced clients, closed once no call can still be running on them.
    _retired: list[tuple[float, MarketplaceClient]] = field(default_factory=list)
    # Decorates each new client with its shop id (None for app-level clients): bootstrap puts
    # the breaker, rate limit and retries (resilience/) around every platform call here.
    wrap: Callable[[MarketplaceClient, int | None], MarketplaceClient] = lambda client, _: client

    def for_app(self, platform: Platform) -> MarketplaceClient:
        """A client without shop credentials: consent URLs, code exchange, webhook checks."""
        with self._lock:
            if platform not in self._app_clients:
                self._app_clients[platform] = self.wrap(self.build(platform, None, None), None)
            return self._app_clients[platform]

    def for_shop(self, shop: Shop) -> MarketplaceClient:
        with self._lock:
            self._close_retired(time.monotonic() - RETIRE_AFTER_S)
            client = self._cache.get(shop.id)
            if client is not None and self._replaced_elsewhere(shop):
                # Another process refreshed (or the shop was reconnected): the pair this client
                # holds is spent, and its single-use refresh token would be refused. Closed
                # later: another thread may be mid-call on it.
                self._retired.append((time.monotonic(), client))
                client = None
            if client is None:
                client = self.wrap(
                    self.build(
                        Platform(shop.platform), self.credentials(shop), self._saver(shop.id)
                    ),
                    shop.id,
                )
                self._cache[shop.id] = client
                self._held_until[shop.id] = shop.access_expires_at
            return client

    def _close_retired(self, before: float) -> None:
        keep = []
        for retired_at, client in self._retired:
            if retired_at <= before:
                client.close()
            else:
                keep.append((retired_at, client))
        self._retired = keep

    def is_stale(self, shop: Shop) -> bool:
        """Whether the stored pair is newer than the one this process's client holds."""
        with self._lock:
            return shop.id in self._cache and self._replaced_elsewhere(shop)

    def _replaced_elsewhere(self, shop: Shop) -> bool:
        held = self._held_until.get(shop.id)
        stored = shop.access_expires_at
        return held is not None and stored is not None and stored > held

    def forget(self, shop_id: int) -> None:
        """Drop a cached client (the shop was reconnected with new tokens). Closed later, like
        a replaced one: a job may be mid-call on it, and should fail as "tokens changed" (and be
        retried), not as a closed client."""
        with self._lock:
            client = self._cache.pop(shop_id, None)
            self._held_until.pop(shop_id, None)
            if client is not None:
                self._retired.append((time.monotonic(), client))

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
            with self._lock:
                self._held_until[shop_id] = tokens.access_expires_at
            with unit_of_work(self.session_factory) as session:
                shop = session.get(Shop, shop_id)
                if shop is not None:
                    self.store_tokens(shop, tokens)

        return save

    def close(self) -> None:
        with self._lock:
            clients = [*self._cache.values(), *self._app_clients.values()]
            clients += [client for _, client in self._retired]
            self._retired.clear()
            self._cache.clear()
            self._app_clients.clear()
        for client in clients:
            client.close()
