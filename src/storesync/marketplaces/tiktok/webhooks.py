"""TikTok Shop webhooks: signature check and parsing into a neutral WebhookEvent
(docs/platforms/tiktok.md#webhooks).

The signature has no timestamp (no replay protection) and the URL is not signed; dedupe on the
event id, which is `tts_notification_id` (stable across TikTok's retries), or a content hash when
a payload has none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from storesync.domain.platform import Platform
from storesync.marketplaces.base import EventKind, WebhookEvent
from storesync.marketplaces.tiktok import signing
from storesync.marketplaces.tiktok.statuses import ORDER_STATUS
from storesync.marketplaces.util import content_hash, header_value
from storesync.marketplaces.webhook_fields import (
    EVENT_ID_LENGTH,
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
    1: EventKind.ORDER_STATUS,
    2: EventKind.ORDER_RETURN,  # reverse (return/refund) status
    5: EventKind.PRODUCT,
    6: EventKind.DEAUTHORIZATION,
    7: EventKind.AUTH_EXPIRING,
    11: EventKind.ORDER_CANCELLATION,
    12: EventKind.ORDER_RETURN,
    15: EventKind.PRODUCT,
    16: EventKind.PRODUCT,
    18: EventKind.PRODUCT,
    27: EventKind.STOCK,
    37: EventKind.PRODUCT,
}
_ORDER_KINDS = {EventKind.ORDER_STATUS, EventKind.ORDER_CANCELLATION, EventKind.ORDER_RETURN}


def verify(app_key: str, app_secret: str, *, raw_body: bytes, headers: Mapping[str, str]) -> bool:
    signature = header_value(headers, SIGNATURE_HEADER)
    if not signature:
        return False
    return signing.verify_webhook(app_key, app_secret, raw_body, signature)


def parse(raw_body: bytes) -> WebhookEvent:
    """A signed webhook as an event; any odd body (not JSON, too deep, a field of the wrong
    type or out of range) raises ValidationError, nothing else (marketplaces/webhook_fields.py)."""
    payload = load_object(raw_body, Platform.TIKTOK)
    with odd_values_refused(Platform.TIKTOK):
        return _event(payload)


def _event(payload: Mapping[str, Any]) -> WebhookEvent:
    p = Platform.TIKTOK
    kind_code = optional_int(payload.get("type"), p, "type")
    if kind_code is None:
        raise invalid(p, "has no numeric type", "type")
    data = payload.get("data")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise invalid(p, "data is not an object", "data")
    kind = KINDS.get(kind_code, EventKind.OTHER)
    order_id = raw_status = None
    if kind in _ORDER_KINDS:
        order_id = optional_id(data.get("order_id"), p, "data.order_id")
    if kind is EventKind.ORDER_STATUS:
        raw_status = optional_text(data.get("order_status"), p, "data.order_status")
    stamp = optional_time(payload.get("timestamp"), p, "timestamp")
    occurred_at = optional_time(data.get("update_time"), p, "data.update_time") or stamp
    return WebhookEvent(
        platform=p,
        event_id=_event_id(payload),
        kind=kind,
        external_shop_id=optional_id(payload.get("shop_id"), p, "shop_id"),
        order_external_id=order_id,
        status=ORDER_STATUS.get(raw_status) if raw_status is not None else None,
        raw_status=raw_status,
        occurred_at=occurred_at,
        raw=payload,
    )


def _event_id(payload: Mapping[str, Any]) -> str:
    notification_id = optional_id(
        payload.get("tts_notification_id"), Platform.TIKTOK, "tts_notification_id", EVENT_ID_LENGTH
    )
    return notification_id or content_hash(payload)
