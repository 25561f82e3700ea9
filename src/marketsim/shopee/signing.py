"""Shopee v2 signatures (docs/platforms/shopee.md#signing, docs/platforms/shopee.md#webhooks), the
simulator's own verification code.

- API calls: lowercase hex HMAC-SHA256, key = partner_key as its UTF-8 string bytes (NOT
  hex-decoded), message = plain concatenation, no separators:
  shop calls ``partner_id + path + timestamp + access_token + shop_id``, merchant calls the same
  with merchant_id, public calls ``partner_id + path + timestamp``. The body is never signed.
- Push: header ``Authorization`` = HMAC-SHA256(partner_key, ``callback_url + "|" + raw_body``).
"""

from __future__ import annotations

import hashlib
import hmac


def _hmac_hex(partner_key: str, message: bytes) -> str:
    return hmac.new(partner_key.encode(), message, hashlib.sha256).hexdigest()


def base_string(
    partner_id: int | str,
    path: str,
    timestamp: int | str,
    access_token: str | None = None,
    owner_id: int | str | None = None,
) -> str:
    """The signed text; `owner_id` is the shop_id (or merchant_id) of non-public calls."""
    base = f"{partner_id}{path}{timestamp}"
    if access_token is not None and owner_id is not None:
        base += f"{access_token}{owner_id}"
    return base


def public_sign(partner_key: str, partner_id: int | str, path: str, timestamp: int | str) -> str:
    return _hmac_hex(partner_key, base_string(partner_id, path, timestamp).encode())


def shop_sign(
    partner_key: str,
    partner_id: int | str,
    path: str,
    timestamp: int | str,
    access_token: str,
    shop_id: int | str,
) -> str:
    return _hmac_hex(
        partner_key, base_string(partner_id, path, timestamp, access_token, shop_id).encode()
    )


def merchant_sign(
    partner_key: str,
    partner_id: int | str,
    path: str,
    timestamp: int | str,
    access_token: str,
    merchant_id: int | str,
) -> str:
    return shop_sign(partner_key, partner_id, path, timestamp, access_token, merchant_id)


def push_authorization(partner_key: str, callback_url: str, raw_body: bytes) -> str:
    """Hash the raw body exactly as sent: re-serialised JSON would not match."""
    return _hmac_hex(partner_key, callback_url.encode() + b"|" + raw_body)


def verify(expected: str, given: str) -> bool:
    """Constant-time comparison; Shopee signs lowercase, so an uppercase sign is wrong."""
    return hmac.compare_digest(expected.encode(), given.encode())
