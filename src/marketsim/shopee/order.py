"""Order endpoints (docs/platforms/shopee.md#endpoints-and-batch-limits): get_order_list and
get_order_detail.

get_order_list pages with a keyset cursor ("<time>:<order_sn>" of the last row returned, rows
ordered by the chosen time field then order_sn): an order updated while a client pages moves
behind the cursor and is returned again rather than skipped. Clients must treat the cursor as
opaque, as on Shopee.
"""

from __future__ import annotations

from typing import Any

from marketsim.shopee import errors, statuses
from marketsim.shopee.api import Call, ShopeeApi, int_param, list_param
from marketsim.shopee.errors import ShopeeError
from marketsim.shopee.models import Order

MAX_WINDOW_S = 15 * 86400
MAX_PAGE = 100
MAX_DETAIL = 50
LIST_STATUSES = (*statuses.STATUSES, "INVOICE_PENDING")


def _cursor_key(cursor: str) -> tuple[int, str]:
    time_text, _, sn = cursor.partition(":")
    try:
        return int(time_text), sn
    except ValueError:
        raise errors.param("Invalid cursor.") from None


def detail(order: Order, optional: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "order_sn": order.order_sn,
        "region": order.region,
        "currency": order.currency,
        "cod": False,
        "order_status": order.status,
        "create_time": order.create_time,
        "update_time": order.update_time,
        "days_to_ship": 3,
        "ship_by_date": order.create_time + 3 * 86400,
        "message_to_seller": "",
        "booking_sn": "",
    }
    if "item_list" in optional:
        out["item_list"] = [
            {
                "item_id": line.item_id,
                "item_name": line.item_name,
                "item_sku": line.item_sku,
                "model_id": line.model_id,
                "model_name": line.model_name,
                "model_sku": line.model_sku,
                "model_quantity_purchased": line.quantity,
                "model_original_price": line.price,
                "model_discounted_price": line.price,
                "wholesale": False,
                "add_on_deal": False,
                "main_item": False,
                "promotion_type": "",
                "order_item_id": line.item_id,
            }
            for line in order.lines
        ]
    optional_values: dict[str, Any] = {
        "total_amount": order.total_amount,
        "pay_time": order.pay_time,
        "cancel_by": order.cancel_by,
        "cancel_reason": order.cancel_reason,
        "buyer_user_id": order.buyer_user_id,
        "buyer_username": f"buyer{order.buyer_user_id}",
        "package_list": [
            {"package_number": f"PKG{order.order_sn}", "logistics_status": "LOGISTICS_NOT_START"}
        ],
    }
    for name, value in optional_values.items():
        if name in optional:
            out[name] = value
    return out


def register(api: ShopeeApi) -> None:
    store = api.store

    @api.route("/api/v2/order/get_order_list", "GET", "order")
    async def get_order_list(call: Call) -> dict[str, Any]:
        q = call.query
        field = q.get("time_range_field")
        if field not in ("create_time", "update_time"):
            raise errors.param("time_range_field should be create_time or update_time.")
        time_from = int_param(q.get("time_from"), "time_from")
        time_to = int_param(q.get("time_to"), "time_to")
        if time_to < time_from or time_to - time_from > MAX_WINDOW_S:
            raise ShopeeError(
                errors.ORDER_TIME_RANGE,
                "The time_from and time_to range should be within 15 days.",
            )
        page_size = int_param(q.get("page_size"), "page_size")
        if not 1 <= page_size <= MAX_PAGE:
            raise errors.param(f"page_size should be between 1 and {MAX_PAGE}.")
        wanted_status = q.get("order_status")
        if wanted_status and wanted_status not in LIST_STATUSES:
            raise errors.param("Invalid order_status.")
        cursor = q.get("cursor") or ""
        after = _cursor_key(cursor) if cursor else None
        with_status = "order_status" in list_param(q, "response_optional_fields")
        rows = sorted(
            (
                (getattr(o, field), o.order_sn, o)
                for o in store.shop_orders(call.shop)
                if time_from <= getattr(o, field) <= time_to
                and (not wanted_status or o.status == wanted_status)
            ),
            key=lambda row: (row[0], row[1]),
        )
        if after is not None:
            rows = [row for row in rows if (row[0], row[1]) > after]
        page, more = rows[:page_size], len(rows) > page_size
        order_list = []
        for _, sn, order in page:
            entry: dict[str, Any] = {"order_sn": sn, "booking_sn": ""}
            if with_status:
                entry["order_status"] = order.status
            order_list.append(entry)
        last = page[-1] if page else None
        return {
            "more": more,
            "next_cursor": f"{last[0]}:{last[1]}" if more and last else "",
            "order_list": order_list,
        }

    @api.route("/api/v2/order/get_order_detail", "GET", "order")
    async def get_order_detail(call: Call) -> dict[str, Any]:
        sns = list_param(call.query, "order_sn_list")
        if not sns:
            raise errors.param("order_sn_list is required.")
        if len(sns) > MAX_DETAIL:
            raise errors.param(f"The number of order_sn_list should be between 1 and {MAX_DETAIL}.")
        optional = set(list_param(call.query, "response_optional_fields"))
        with store.lock:
            found = [store.orders.get(sn) for sn in dict.fromkeys(sns)]
            return {
                "order_list": [
                    detail(o, optional) for o in found if o is not None and o.shop_id == call.shop
                ]
            }
