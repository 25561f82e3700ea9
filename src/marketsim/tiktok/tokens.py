"""Authorization codes, access tokens and refresh tokens, with the platform's lifetimes.

Rules (docs/platforms/tiktok.md#tokens, docs/platforms/tiktok.md#what-the-simulator-chooses), and
the choices where the platform documents nothing:
- an auth code works once, for 30 minutes;
- `*_expire_in` are absolute unix times on the simulated clock;
- refresh returns a new access token and a new refresh token, and the old refresh token stops
  working at once (rotation; undocumented on the platform, chosen because it is the stricter rule:
  a client that loses a refresh response or refreshes from two workers at once must notice here,
  not in production). The new refresh token keeps the old one's expiry: refreshing does not extend
  an authorization, the seller re-authorizes when it ends (hence the platform's
  UPCOMING_AUTHORIZATION_EXPIRATION push);
- an access token issued before a refresh stays valid until its own expiry.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

from marketsim.tiktok import errors
from marketsim.tiktok.config import TikTokConfig


@dataclass(frozen=True)
class Grant:
    """What a seller approved on the consent page: which shops, which scopes."""

    open_id: str
    seller_name: str
    seller_base_region: str
    shop_ids: tuple[str, ...]
    scopes: tuple[str, ...]
    user_type: int = 0  # 0 = seller


@dataclass(frozen=True)
class TokenPair:
    grant: Grant
    access_token: str
    access_expires_at: int
    refresh_token: str
    refresh_expires_at: int


@dataclass(frozen=True)
class AccessToken:
    token: str
    grant: Grant
    expires_at: int


@dataclass
class _AuthCode:
    grant: Grant
    expires_at: float
    used: bool = False


@dataclass(frozen=True)
class _RefreshToken:
    grant: Grant
    expires_at: int


def _opaque(prefix: str) -> str:
    # Real tokens look like "TTP_<base64url>"; randomness from `secrets` because users may point
    # staging traffic at the simulator and tokens should not be guessable even there.
    return prefix + secrets.token_urlsafe(48)


class TokenStore:
    def __init__(self, config: TikTokConfig, now: Callable[[], float]) -> None:
        self._config = config
        self._now = now
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._codes: dict[str, _AuthCode] = {}
            self._access: dict[str, AccessToken] = {}
            self._refresh: dict[str, _RefreshToken] = {}

    def issue_code(self, grant: Grant) -> str:
        code = _opaque("TTP_")
        with self._lock:
            self._codes[code] = _AuthCode(grant, self._now() + self._config.auth_code_ttl_s)
        return code

    def issue_pair(self, grant: Grant, *, refresh_expires_at: int | None = None) -> TokenPair:
        now = self._now()
        access = AccessToken(_opaque("TTP_"), grant, int(now + self._config.access_token_ttl_s))
        refresh_exp = (
            int(now + self._config.refresh_token_ttl_s)
            if refresh_expires_at is None
            else refresh_expires_at
        )
        refresh_token = _opaque("TTP_")
        with self._lock:
            self._access[access.token] = access
            self._refresh[refresh_token] = _RefreshToken(grant, refresh_exp)
        return TokenPair(grant, access.token, access.expires_at, refresh_token, refresh_exp)

    def exchange_code(self, code: str) -> TokenPair:
        with self._lock:
            entry = self._codes.get(code)
            if entry is None or entry.used or entry.expires_at < self._now():
                raise errors.TikTokError(errors.INVALID_AUTH_CODE)
            entry.used = True
        return self.issue_pair(entry.grant)

    def refresh(self, refresh_token: str) -> TokenPair:
        with self._lock:
            entry = self._refresh.get(refresh_token)
            if entry is None:
                raise errors.TikTokError(errors.AUTH_RECORD_NOT_FOUND)
            if entry.expires_at < self._now():
                raise errors.TikTokError(errors.REFRESH_TOKEN_EXPIRED)
            del self._refresh[refresh_token]
        return self.issue_pair(entry.grant, refresh_expires_at=entry.expires_at)

    def check_access(self, token: str) -> AccessToken:
        with self._lock:
            entry = self._access.get(token)
        if entry is None:
            raise errors.TikTokError(errors.INVALID_TOKEN)
        if entry.expires_at < self._now():
            raise errors.TikTokError(errors.EXPIRED_TOKEN)
        return entry
