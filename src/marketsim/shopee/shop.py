"""GET /api/v2/shop/get_shop_info — a cheap call clients use to check a connection.

Its fields are at the top level (no `response` wrapper), as on Shopee.
"""

from __future__ import annotations

from typing import Any

from marketsim.shopee.api import Call, ShopeeApi


def register(api: ShopeeApi) -> None:
    @api.route("/api/v2/shop/get_shop_info", "GET", "shop", top_level=True)
    async def get_shop_info(call: Call) -> dict[str, Any]:
        with api.store.lock:
            shop = api.store.shops[call.shop]
            return {
                "shop_name": shop.name,
                "region": shop.region,
                "status": "NORMAL",
                "is_cb": False,
                "is_sip": False,
                "auth_time": shop.auth_time,
                "expire_time": shop.expire_time,
            }
