"""TikTok Shop 202309 request and webhook signatures (docs/platforms/tiktok.md#signing,
docs/platforms/tiktok.md#webhooks; vectors V-T1..V-T5 in docs/platforms/tiktok.md#test-vectors)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

# `sign` is the result; `access_token` is the legacy token parameter. Neither is signed.
UNSIGNED_PARAMS = frozenset({"sign", "access_token"})


def base_string(path: str, query: Mapping[str, str], body: bytes = b"") -> bytes:
    """`path + sorted(key + value) + raw body`. Sign the exact bytes that are sent."""
    pairs = "".join(f"{key}{query[key]}" for key in sorted(query) if key not in UNSIGNED_PARAMS)
    return (path + pairs).encode() + body


def api_sign(app_secret: str, path: str, query: Mapping[str, str], body: bytes = b"") -> str:
    secret = app_secret.encode()
    message = secret + base_string(path, query, body) + secret
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def webhook_signature(app_key: str, app_secret: str, raw_body: bytes) -> str:
    """The push `Authorization` header (no "Bearer"): HMAC(app_secret, app_key + raw body)."""
    return hmac.new(app_secret.encode(), app_key.encode() + raw_body, hashlib.sha256).hexdigest()


def verify_webhook(app_key: str, app_secret: str, raw_body: bytes, signature: str) -> bool:
    expected = webhook_signature(app_key, app_secret, raw_body)
    return hmac.compare_digest(expected.encode(), signature.strip().lower().encode())
