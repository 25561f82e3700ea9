"""TikTok Shop webhooks: signature check and parsing into a neutral WebhookEvent
(docs/platforms/tiktok.md#webhooks).

The signature has no timestamp (no replay protection) and the URL is not signed; dedupe on the
event id, which is `tts_notification_id` (stable across TikTok's retries), or a content hash when
a payload has none.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from storesync.domain.platform import Platform
from storesync.errors import ValidationError
from storesync.marketplaces.base import EventKind, WebhookEvent
from storesync.marketplaces.tiktok import signing
from storesync.marketplaces.tiktok.statuses import ORDER_STATUS
from storesync.marketplaces.util import as_int, content_hash, header_value, utc_from_unix

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
    try:
        payload = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError("TikTok webhook body is not JSON", details=_d()) from exc
    if not isinstance(payload, dict):
        raise ValidationError("TikTok webhook body is not an object", details=_d())
    kind_code = as_int(payload.get("type"))
    if kind_code is None:
        raise ValidationError("TikTok webhook has no numeric type", details=_d())
    data = payload.get("data")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationError("TikTok webhook data is not an object", details=_d())
    kind = KINDS.get(kind_code, EventKind.OTHER)
    order_id = data.get("order_id") if kind in _ORDER_KINDS else None
    raw_status = data.get("order_status") if kind is EventKind.ORDER_STATUS else None
    when = as_int(data.get("update_time")) or as_int(payload.get("timestamp"))
    shop_id = payload.get("shop_id")
    return WebhookEvent(
        platform=Platform.TIKTOK,
        event_id=_event_id(payload),
        kind=kind,
        external_shop_id=str(shop_id) if shop_id not in (None, "") else None,
        order_external_id=str(order_id) if order_id not in (None, "") else None,
        status=ORDER_STATUS.get(raw_status) if isinstance(raw_status, str) else None,
        raw_status=raw_status if isinstance(raw_status, str) else None,
        occurred_at=utc_from_unix(when) if when is not None else None,
        raw=payload,
    )


def _event_id(payload: Mapping[str, Any]) -> str:
    notification_id = payload.get("tts_notification_id")
    if notification_id not in (None, ""):
        return str(notification_id)
    return content_hash(payload)


def _d() -> dict[str, Any]:
    return {"platform": Platform.TIKTOK.value}
