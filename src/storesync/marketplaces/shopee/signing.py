"""Shopee Open Platform v2 signatures (docs/platforms/shopee.md#signing,
docs/platforms/shopee.md#webhooks; vectors V-S1..V-S6 in docs/platforms/shopee.md#test-vectors).

The key is the partner_key's UTF-8 bytes (not hex-decoded); the body is never signed.
"""

from __future__ import annotations

import hashlib
import hmac


def _hmac_hex(partner_key: str, message: str | bytes) -> str:
    data = message.encode() if isinstance(message, str) else message
    return hmac.new(partner_key.encode(), data, hashlib.sha256).hexdigest()


def public_base_string(partner_id: int, path: str, timestamp: int) -> str:
    """Token endpoints, `public/*`, `shop/auth_partner`, push management."""
    return f"{partner_id}{path}{timestamp}"


def shop_base_string(
    partner_id: int, path: str, timestamp: int, access_token: str, shop_id: int
) -> str:
    return f"{partner_id}{path}{timestamp}{access_token}{shop_id}"


def merchant_base_string(
    partner_id: int, path: str, timestamp: int, access_token: str, merchant_id: int
) -> str:
    return f"{partner_id}{path}{timestamp}{access_token}{merchant_id}"


def sign_public(partner_key: str, partner_id: int, path: str, timestamp: int) -> str:
    return _hmac_hex(partner_key, public_base_string(partner_id, path, timestamp))


def sign_shop(
    partner_key: str, partner_id: int, path: str, timestamp: int, access_token: str, shop_id: int
) -> str:
    return _hmac_hex(
        partner_key, shop_base_string(partner_id, path, timestamp, access_token, shop_id)
    )


def sign_merchant(
    partner_key: str,
    partner_id: int,
    path: str,
    timestamp: int,
    access_token: str,
    merchant_id: int,
) -> str:
    return _hmac_hex(
        partner_key, merchant_base_string(partner_id, path, timestamp, access_token, merchant_id)
    )


def push_signature(partner_key: str, callback_url: str, raw_body: bytes) -> str:
    """The push `Authorization` header: HMAC over `callback_url|raw_body`, body exactly as sent."""
    return _hmac_hex(partner_key, callback_url.encode() + b"|" + raw_body)


def verify_push(partner_key: str, callback_url: str, raw_body: bytes, authorization: str) -> bool:
    expected = push_signature(partner_key, callback_url, raw_body)
    return hmac.compare_digest(expected.encode(), authorization.strip().lower().encode())
