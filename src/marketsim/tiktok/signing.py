"""TikTok Shop request and webhook signatures (docv2 "Sign your API request",
docs/platforms/tiktok.md#signing, docs/platforms/tiktok.md#webhooks).

Kept free of web-framework types so the same functions verify the official test vectors and the
live requests: the simulator and its tests cannot drift apart.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping

# Never part of the signed string: `sign` is the result, `access_token` is the legacy token param.
EXCLUDED_PARAMS = frozenset({"sign", "access_token"})


def join_query(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Collapse repeated keys the way clients sign arrays: `ids=1&ids=2` is signed as `ids1,2`."""
    joined: dict[str, list[str]] = {}
    for key, value in items:
        joined.setdefault(key, []).append(value)
    return {key: ",".join(values) for key, values in joined.items()}


def string_to_sign(path: str, query: Mapping[str, str], body: bytes, *, multipart: bool) -> bytes:
    """`path + sorted(key + value) + raw body` (body left out for multipart uploads)."""
    pairs = "".join(f"{k}{query[k]}" for k in sorted(query) if k not in EXCLUDED_PARAMS)
    base = (path + pairs).encode()
    return base if multipart else base + body


def api_sign(
    app_secret: str,
    path: str,
    query: Mapping[str, str],
    body: bytes = b"",
    *,
    multipart: bool = False,
) -> str:
    """Lowercase hex HMAC-SHA256 of `app_secret + S + app_secret`, keyed with app_secret."""
    secret = app_secret.encode()
    message = secret + string_to_sign(path, query, body, multipart=multipart) + secret
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def verify_api_sign(
    app_secret: str,
    path: str,
    query: Mapping[str, str],
    body: bytes,
    sign: str,
    *,
    multipart: bool = False,
) -> bool:
    expected = api_sign(app_secret, path, query, body, multipart=multipart)
    return hmac.compare_digest(expected, sign.lower())


def webhook_signature(app_key: str, app_secret: str, body: bytes) -> str:
    """The `Authorization` header of a push: hex HMAC-SHA256(app_secret, app_key + raw body).

    No "Bearer" prefix and no timestamp: that is how TikTok signs, replay protection included
    (there is none), so receivers must deduplicate on `tts_notification_id` themselves.
    """
    return hmac.new(app_secret.encode(), app_key.encode() + body, hashlib.sha256).hexdigest()


def verify_webhook_signature(app_key: str, app_secret: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(webhook_signature(app_key, app_secret, body), signature.lower())
