"""Push (webhooks) and their recovery API (docs/platforms/shopee.md#webhooks,
docs/platforms/shopee.md#lost-pushes).

Delivery is common/webhooks.py: each push is POSTed as compact JSON with header
`Authorization` = hex HMAC-SHA256(partner_key, callback_url + "|" + raw_body). Shopee does not
publish its retry schedule; the simulator retries a failed push (non-2xx, connection error, no
answer in 5 s) after 5 s, 30 s, 5 min and 30 min — each multiplied by `time_factor` — then gives
up. A push that is given up, dropped by a fault, or has no callback URL to go to is kept for
`get_lost_push_message` (earliest 100 unconfirmed of the last 3 days) until confirmed.

The push endpoints are partner-level (public-signed, no shop): one app, one callback URL.
"""

from __future__ import annotations

from typing import Any

from marketsim.common.webhooks import SignFn
from marketsim.shopee import errors, signing
from marketsim.shopee.api import Call, ShopeeApi, int_param

RETRY_SCHEDULE_S = (5.0, 30.0, 300.0, 1800.0)
LOST_PAGE = 100


def push_signer(partner_key: str) -> SignFn:
    def sign(url: str, body: bytes) -> dict[str, str]:
        return {"Authorization": signing.push_authorization(partner_key, url, body)}

    return sign


def register(api: ShopeeApi) -> None:
    store = api.store

    @api.route("/api/v2/push/get_lost_push_message", "GET", "push", auth="public")
    async def get_lost_push_message(call: Call) -> dict[str, Any]:
        page, more = store.lost_page(LOST_PAGE)
        return {
            "push_message_list": [
                {"shop_id": m.shop_id, "code": m.code, "timestamp": m.timestamp, "data": m.data}
                for m in page
            ],
            "has_next_page": more,
            "last_message_id": page[-1].message_id if page else 0,
        }

    @api.route("/api/v2/push/confirm_consumed_lost_push_message", "POST", "push", auth="public")
    async def confirm_consumed_lost_push_message(call: Call) -> dict[str, Any]:
        last = int_param(call.body.get("last_message_id"), "last_message_id")
        store.confirm_lost(last)
        return {}

    @api.route("/api/v2/push/set_app_push_config", "POST", "push", auth="public")
    async def set_app_push_config(call: Call) -> dict[str, Any]:
        body = call.body
        url = body.get("callback_url")
        if url is not None:
            if not isinstance(url, str):
                raise errors.param("Invalid callback_url.")
            api.ctx.webhooks.url = url or None
        blocked = body.get("blocked_shop_id_list")
        if blocked is not None and (not isinstance(blocked, list) or len(blocked) > 500):
            raise errors.param("blocked_shop_id_list must be a list of at most 500 shop ids.")
        with store.lock:
            for code in _codes(body.get("set_push_config_on")):
                store.push_config_on.add(code)
            for code in _codes(body.get("set_push_config_off")):
                store.push_config_on.discard(code)
            if blocked is not None:
                store.blocked_shops = {int_param(s, "blocked_shop_id_list") for s in blocked}
        return {"result": "success"}

    @api.route("/api/v2/push/get_app_push_config", "GET", "push", auth="public")
    async def get_app_push_config(call: Call) -> dict[str, Any]:
        with store.lock:
            on = sorted(store.push_config_on)
            return {
                "callback_url": api.ctx.webhooks.url or "",
                "live_push_status": "Normal",
                "push_config_on_list": on,
                "push_config_off_list": [c for c in (*range(1, 14), 15) if c not in on],
                "blocked_shop_id": sorted(store.blocked_shops),
            }


def _codes(raw: object) -> list[int]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise errors.param("push config codes must be a list.")
    return [int_param(c, "push config code") for c in raw]
