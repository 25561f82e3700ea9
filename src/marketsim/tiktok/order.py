"""Order endpoints (docs/platforms/tiktok.md#endpoints-and-batch-limits): search by time window and
status, detail by ids (max 50)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from marketsim.tiktok import errors, pagination, params, views
from marketsim.tiktok.config import SCOPE_ORDER_READ
from marketsim.tiktok.gateway import Route, parse_json_body
from marketsim.tiktok.models import ORDER_STATUSES, Order
from marketsim.tiktok.platform import TikTokSim

ORDER_ROUTE = Route(family="order", scope=SCOPE_ORDER_READ)
DETAIL_VERSIONS = ("202309", "202507")
MAX_DETAIL_IDS = 50
BAD = errors.ORDER_INVALID_PARAMS
_TIME_FILTERS = ("create_time_ge", "create_time_lt", "update_time_ge", "update_time_lt")


def _filters(query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    status = params.optional_str(body, "order_status", BAD)
    if status is not None and status not in ORDER_STATUSES:
        raise errors.TikTokError(BAD, f"Unknown order_status {status}.")
    sort_field = query.get("sort_field") or "create_time"
    sort_order = (query.get("sort_order") or "DESC").upper()
    if sort_field not in ("create_time", "update_time") or sort_order not in ("ASC", "DESC"):
        raise errors.TikTokError(BAD, "Invalid sort_field or sort_order.")
    shipping_type = params.optional_str(body, "shipping_type", BAD)
    return {
        "order_status": status,
        "sort_field": sort_field,
        "sort_order": sort_order,
        # Every simulated order ships with the platform's logistics.
        "shipping_type": shipping_type,
        **{name: params.optional_int(body, name, BAD) for name in _TIME_FILTERS},
    }


def _matches(order: Order, f: dict[str, Any]) -> bool:
    if f["order_status"] is not None and order.status != f["order_status"]:
        return False
    if f["shipping_type"] not in (None, "TIKTOK"):
        return False
    # `_lt` bounds are exclusive on this API (unlike the products search `_le`).
    return params.in_range(
        order.create_time, f["create_time_ge"], f["create_time_lt"], high_inclusive=False
    ) and params.in_range(
        order.update_time, f["update_time_ge"], f["update_time_lt"], high_inclusive=False
    )


def router(sim: TikTokSim) -> APIRouter:
    api = APIRouter()
    store = sim.store

    @api.post("/order/202309/orders/search")
    async def search(request: Request) -> JSONResponse:
        caller = await sim.gateway.admit(request, ORDER_ROUTE)
        shop = caller.require_shop()
        size = params.page_size(caller.query, BAD)
        filters = _filters(caller.query, parse_json_body(caller.body))
        offset = pagination.decode(
            caller.query.get("page_token", ""), filters, errors.PAGE_TOKEN_INVALID
        )
        field = filters["sort_field"]
        with store.lock:
            found = sorted(
                (o for o in store.orders_of(shop.id) if _matches(o, filters)),
                key=lambda o: (getattr(o, field), int(o.id)),
                reverse=filters["sort_order"] == "DESC",
            )
            chunk, next_token = pagination.page(found, offset, size, filters)
            data = {
                "orders": [views.order(o) for o in chunk],
                "total_count": len(found),
                "next_page_token": next_token,
            }
        return sim.ok(request, data)

    async def detail(request: Request) -> JSONResponse:
        caller = await sim.gateway.admit(request, ORDER_ROUTE)
        shop = caller.require_shop()
        ids = [i.strip() for i in caller.query.get("ids", "").split(",") if i.strip()]
        if not 1 <= len(ids) <= MAX_DETAIL_IDS:
            raise errors.TikTokError(errors.ORDER_IDS_LIMIT)
        with store.lock:
            # Ids of other shops or unknown ids are left out, like orders that do not exist.
            found = [store.orders[i] for i in dict.fromkeys(ids) if i in store.orders]
            data = {"orders": [views.order(o) for o in found if o.shop_id == shop.id]}
        return sim.ok(request, data)

    for version in DETAIL_VERSIONS:
        api.add_api_route(f"/order/{version}/orders", detail, methods=["GET"])

    return api
