"""Shopee push: signature check and parsing into a neutral WebhookEvent
(docs/platforms/shopee.md#webhooks).

The event id is a hash of the push's content (shop, code, timestamp, data), not of its bytes and
not its `msg_id`: the same push then gets the same id whether it arrives live (with `msg_id`,
any whitespace) or later through get_lost_push_message (no `msg_id`, `data` as a JSON string), so
one dedupe key covers both paths.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from storesync.domain.platform import Platform
from storesync.errors import ValidationError
from storesync.marketplaces.base import EventKind, WebhookEvent
from storesync.marketplaces.shopee import signing
from storesync.marketplaces.shopee.statuses import ORDER_STATUS
from storesync.marketplaces.util import as_int, content_hash, header_value, utc_from_unix

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
    try:
        payload = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError(
            "Shopee push body is not JSON", details={"platform": "shopee"}
        ) from exc
    if not isinstance(payload, dict):
        raise ValidationError("Shopee push body is not an object", details={"platform": "shopee"})
    return event_from_payload(payload)


def _data(payload: Mapping[str, Any]) -> dict[str, Any]:
    data = payload.get("data")
    if isinstance(data, str):  # lost pushes carry data as a JSON string
        try:
            data = json.loads(data) if data else {}
        except ValueError as exc:
            raise ValidationError(
                "Shopee push data is not JSON", details={"platform": "shopee"}
            ) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValidationError("Shopee push data is not an object", details={"platform": "shopee"})
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
    code = as_int(payload.get("code"))
    if code is None:
        raise ValidationError("Shopee push has no numeric code", details={"platform": "shopee"})
    data = _data(payload)
    kind = KINDS.get(code, EventKind.OTHER)
    shop_id = payload.get("shop_id")
    order_sn = raw_status = None
    if kind is EventKind.ORDER_STATUS:
        order_sn = data.get("ordersn") or data.get("order_sn")
        raw_status = data.get("status")
    when = as_int(data.get("update_time")) or as_int(payload.get("timestamp"))
    return WebhookEvent(
        platform=Platform.SHOPEE,
        event_id=event_id(payload, data),
        kind=kind,
        external_shop_id=str(shop_id) if shop_id not in (None, "", 0) else None,
        order_external_id=str(order_sn) if order_sn else None,
        # An unknown status is left for the caller to fetch; a push never decides stock alone.
        status=ORDER_STATUS.get(raw_status) if isinstance(raw_status, str) else None,
        raw_status=raw_status if isinstance(raw_status, str) else None,
        occurred_at=utc_from_unix(when) if when is not None else None,
        raw={**payload, "data": data},
    )
