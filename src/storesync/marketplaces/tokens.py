"""Refresh-once, single-flight token handling shared by every client.

Why single flight: Shopee refresh tokens are single use, and the TikTok simulator rotates them
the same way. Two threads refreshing with the same refresh token means the second one fails and
the shop gets paused for nothing. So one lock per shop (one keeper per client; share the client
per shop), and a thread that waited for the lock reuses the token the first thread obtained.

Why the callback comes first: the new refresh token exists nowhere else. `on_tokens` runs before
the call is retried, so nothing that can fail afterwards can lose it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from storesync.errors import AuthenticationError, TokenExpiredError
from storesync.marketplaces.base import TokenSet

T = TypeVar("T")

TokensCallback = Callable[[TokenSet], None]


class TokenKeeper:
    def __init__(
        self,
        tokens: TokenSet,
        refresh: Callable[[TokenSet], TokenSet],
        on_tokens: TokensCallback | None = None,
    ) -> None:
        self._tokens = tokens
        self._refresh = refresh
        self._on_tokens = on_tokens
        self._lock = threading.Lock()
        self.refresh_count = 0  # observable in tests and debugging

    @property
    def current(self) -> TokenSet:
        return self._tokens

    def refresh(self, *, stale_access_token: str | None = None) -> TokenSet:
        """Get a new pair; if `stale_access_token` was already replaced by another thread, reuse."""
        with self._lock:
            if stale_access_token is not None and self._tokens.access_token != stale_access_token:
                return self._tokens
            try:
                fresh = self._refresh(self._tokens)
            except TokenExpiredError as exc:
                # The refresh itself was refused as expired: only a new consent helps now.
                raise AuthenticationError(
                    "The platform refused the token refresh.", details=exc.details
                ) from exc
            # Memory first (later calls work even if persisting fails), then the caller's store.
            self._tokens = fresh
            self.refresh_count += 1
            if self._on_tokens is not None:
                self._on_tokens(fresh)
            return fresh

    def call(self, fn: Callable[[TokenSet], T]) -> T:
        """Run `fn` with the current tokens; on TokenExpiredError refresh once and run it again."""
        used = self._tokens
        try:
            return fn(used)
        except TokenExpiredError:
            fresh = self.refresh(stale_access_token=used.access_token)
        try:
            return fn(fresh)
        except TokenExpiredError as exc:
            # A brand-new token rejected as expired will not get better by refreshing again:
            # final, so the shop is paused instead of looping (docs/reliability.md#tokens: one
            # refresh).
            raise AuthenticationError(
                "The platform still rejects the access token after a refresh.",
                details=exc.details,
            ) from exc
