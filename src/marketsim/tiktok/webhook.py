"""Pushes as TikTok sends them: type-1 envelopes, `Authorization` = HMAC(app_secret, key + body).

Delivery, retries and webhook faults are common's WebhookSender; this module builds the payloads,
signs them, and routes each shop's pushes to the address it subscribed with
`PUT /event/202309/webhooks`, else to the app's URL (Partner Center, `PUT /_sim/webhook`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marketsim.common import SimContext, WebhookSender
from marketsim.tiktok.models import Order, Shop
from marketsim.tiktok.signing import webhook_signature

# Retries after 2 min, 30 min, 3 h and 12 h, then the push is dropped
# (docs/platforms/tiktok.md#webhooks).
RETRY_SCHEDULE_S: tuple[float, ...] = (120.0, 1800.0, 10800.0, 43200.0)

ORDER_STATUS_CHANGE = "ORDER_STATUS_CHANGE"
# Subscribable event names (docs/platforms/tiktok.md#webhooks); only ORDER_STATUS_CHANGE pushes are
# generated.
EVENT_TYPES: frozenset[str] = frozenset(
    {
        ORDER_STATUS_CHANGE,
        "REVERSE_STATUS_UPDATE",
        "RECIPIENT_ADDRESS_UPDATE",
        "PACKAGE_UPDATE",
        "PRODUCT_STATUS_CHANGE",
        "SELLER_DEAUTHORIZATION",
        "UPCOMING_AUTHORIZATION_EXPIRATION",
        "CANCELLATION_STATUS_CHANGE",
        "RETURN_STATUS_CHANGE",
        "NEW_CONVERSATION",
        "NEW_MESSAGE",
        "PRODUCT_INFORMATION_CHANGE",
        "PRODUCT_CREATION",
        "PRODUCT_CATEGORY_CHANGE",
        "INVENTORY_STATUS_CHANGE",
        "INVOICE_STATUS_CHANGE",
        "PRODUCT_AUDIT_STATUS_CHANGE",
    }
)


def order_status_payload(order: Order, notification_id: str, timestamp: int) -> dict[str, Any]:
    """Type 1, key order as in the official sample (V-T4); shop_id is a string."""
    return {
        "type": 1,
        "tts_notification_id": notification_id,
        "shop_id": order.shop_id,
        "timestamp": timestamp,
        "data": {
            "is_on_hold_order": order.status == "ON_HOLD",
            "order_id": order.id,
            "order_status": order.status,
            "update_time": order.update_time,
        },
    }


SignFn = Callable[[str, bytes], dict[str, str]]


def make_signer(app_key: str, app_secret: str) -> SignFn:
    def sign(url: str, body: bytes) -> dict[str, str]:
        return {"Authorization": webhook_signature(app_key, app_secret, body)}

    return sign


class Pushes:
    """Routes pushes to the app-wide sender or to a per-subscription sender."""

    def __init__(self, ctx: SimContext, sign: SignFn) -> None:
        self._ctx = ctx
        self._sign = sign
        # One sender per subscribed address other than the app URL; each keeps its own order
        # and retry timers, as separate subscriptions do on the platform.
        self._extra: dict[str, WebhookSender] = {}

    @property
    def main(self) -> WebhookSender:
        return self._ctx.webhooks

    async def ensure_sender(self, address: str) -> None:
        """Called on the event loop when a shop subscribes, so the sender can start there."""
        if address in self._extra:
            return
        main = self.main
        sender = WebhookSender(
            self._sign,
            self._ctx.faults,
            main.retry_schedule_s,
            main.time_factor,
        )
        sender.url = address
        await sender.start()
        self._extra[address] = sender

    def push(self, shop: Shop, payload: dict[str, Any]) -> None:
        address = shop.webhook_addresses.get(ORDER_STATUS_CHANGE)
        sender = self._extra.get(address or "") if address != self.main.url else None
        (sender or self.main).send(payload)

    def reset(self) -> None:
        for sender in self._extra.values():
            sender.reset()

    async def stop(self) -> None:
        for sender in self._extra.values():
            await sender.stop()
        self._extra.clear()
