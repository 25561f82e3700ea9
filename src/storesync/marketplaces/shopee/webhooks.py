"""Shopee push: signature check and parsing into a neutral WebhookEvent
(docs/platforms/shopee.md#webhooks).

The event id is a hash of the push's content (shop, code, timestamp, data), not of its bytes and
not its `msg_id`: the same push then gets the same id whether it arrives live (with `msg_id`,
any whitespace) or later through get_lost_push_message (no `msg_id`, `data` as a JSON string), so
one dedupe key covers both paths.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from storesync.domain.platform import Platform
from storesync.marketplaces.base import EventKind, WebhookEvent
from storesync.marketplaces.shopee import signing
from storesync.marketplaces.shopee.statuses import ORDER_STATUS
from storesync.marketplaces.util import content_hash, header_value
from storesync.marketplaces.webhook_fields import (
    invalid,
    load_object,
    odd_values_refused,
    optional_id,
    optional_int,
    optional_text,
    optional_time,
)

SIGNATURE_HEADER = "authorization"

KINDS: Mapping[int, EventKind] = {
    1: EventKind.AUTHORIZATION,
    2: EventKind.DEAUTHORIZATION,
    3: EventKind.ORDER_STATUS,
    6: EventKind.PRODUCT,  # banned item
    8: EventKind.STOCK,  # reserved stock change
    12: EventKind.AUTH_EXPIRING,
}


def verify(partner_key: str, *, raw_body: bytes, headers: Mapping[str, str], url: str) -> bool:
    """`url` must be the callback URL registered with Shopee, not the one seen behind a proxy."""
    signature = header_value(headers, SIGNATURE_HEADER)
    if not signature:
        return False
    return signing.verify_push(partner_key, url, raw_body, signature)


def parse(raw_body: bytes) -> WebhookEvent:
    """A signed push as an event; any odd body (not JSON, too deep, a field of the wrong type or
    out of range) raises ValidationError, never anything else (marketplaces/webhook_fields.py)."""
    return event_from_payload(load_object(raw_body, Platform.SHOPEE))


def _data(payload: Mapping[str, Any]) -> dict[str, Any]:
    data = payload.get("data")
    if isinstance(data, str):  # lost pushes carry data as a JSON string
        return load_object(data, Platform.SHOPEE, "data") if data else {}
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise invalid(Platform.SHOPEE, "data is not an object", "data")
    return data


def event_id(payload: Mapping[str, Any], data: Mapping[str, Any]) -> str:
    content = {
        "shop_id": payload.get("shop_id"),
        "code": payload.get("code"),
        "timestamp": payload.get("timestamp"),
        "data": data,
    }
    return content_hash(content)


def event_from_payload(payload: Mapping[str, Any]) -> WebhookEvent:
    with odd_values_refused(Platform.SHOPEE):
        return _event(payload)


def _event(payload: Mapping[str, Any]) -> WebhookEvent:
    p = Platform.SHOPEE
    code = optional_int(payload.get("code"), p, "code")
    if code is None:
        raise invalid(p, "has no numeric code", "code")
    data = _data(payload)
    kind = KINDS.get(code, EventKind.OTHER)
    shop_id = optional_id(payload.get("shop_id"), p, "shop_id")
    order_sn = raw_status = None
    if kind is EventKind.ORDER_STATUS:
        order_sn = optional_id(data.get("ordersn") or data.get("order_sn"), p, "data.ordersn")
        raw_status = optional_text(data.get("status"), p, "data.status")
    stamp = optional_time(payload.get("timestamp"), p, "timestamp")
    occurred_at = optional_time(data.get("update_time"), p, "data.update_time") or stamp
    return WebhookEvent(
        platform=p,
        event_id=event_id(payload, data),
        kind=kind,
        external_shop_id=shop_id if shop_id != "0" else None,
        order_external_id=order_sn,
        # An unknown status is left for the caller to fetch; a push never decides stock alone.
        status=ORDER_STATUS.get(raw_status) if raw_status is not None else None,
        raw_status=raw_status,
        occurred_at=occurred_at,
        raw={**payload, "data": data},
    )
