"""Catalog, stock and price endpoints (docs/platforms/shopee.md#endpoints-and-batch-limits,
docs/platforms/shopee.md#what-stock-means).

Choices where Shopee is silent: get_item_list is ordered by item_id (stable while items change,
so offset paging neither skips nor repeats); there is no offset cap; update_stock and
update_price bump the item's update_time (so catalog sync by update_time sees them); unknown
item ids in get_item_base_info are left out of `item_list`.
"""

from __future__ import annotations

from typing import Any

from marketsim.shopee import errors
from marketsim.shopee.api import Call, ShopeeApi, int_param, list_param
from marketsim.shopee.models import Item, Model
from marketsim.shopee.store import CURRENCY, DECIMAL_PRICE_REGIONS

ITEM_STATUSES = ("NORMAL", "BANNED", "UNLIST", "REVIEWING", "SELLER_DELETE", "SHOPEE_DELETE")
MAX_PAGE = 100
MAX_BATCH = 50


def stock_info_v2(model: Model) -> dict[str, Any]:
    return {
        "summary_info": {
            "total_reserved_stock": model.reserved,
            "total_available_stock": model.available,
        },
        "seller_stock": [{"location_id": "", "stock": model.seller_stock, "if_saleable": True}],
        "shopee_stock": [],
    }


def price_info(model: Model, currency: str) -> list[dict[str, Any]]:
    return [
        {
            "currency": currency,
            "original_price": model.original_price,
            "current_price": model.price,
        }
    ]


def base_info(item: Item, currency: str) -> dict[str, Any]:
    info: dict[str, Any] = {
        "item_id": item.item_id,
        "category_id": item.category_id,
        "item_name": item.name,
        "description": f"{item.name} (simulated)",
        "item_sku": item.item_sku,
        "create_time": item.create_time,
        "update_time": item.update_time,
        "image": {"image_url_list": [], "image_id_list": []},
        "weight": str(item.weight),
        "condition": "NEW",
        "item_status": item.status,
        "has_model": item.has_model,
        "item_dangerous": 0,
    }
    if not item.has_model:
        # Stock and price of an item without models live here; with models, in get_model_list.
        model = item.models[0]
        info["price_info"] = price_info(model, currency)
        info["stock_info_v2"] = stock_info_v2(model)
    return info


def _batch(entries: object, name: str) -> list[dict[str, Any]]:
    if not isinstance(entries, list) or not entries:
        raise errors.param(f"{name} is required and must not be empty.")
    if len(entries) > MAX_BATCH:
        raise errors.param(f"The number of {name} entries should be between 1 and {MAX_BATCH}.")
    if not all(isinstance(e, dict) for e in entries):
        raise errors.param(f"Invalid {name}.")
    return entries


def register(api: ShopeeApi) -> None:
    store = api.store

    @api.route("/api/v2/product/get_item_list", "GET", "product")
    async def get_item_list(call: Call) -> dict[str, Any]:
        q = call.query
        offset = int_param(q.get("offset"), "offset", required=False)
        page_size = int_param(q.get("page_size"), "page_size")
        if offset < 0:
            raise errors.param("offset must not be negative.")
        if not 1 <= page_size <= MAX_PAGE:
            raise errors.param(f"page_size should be between 1 and {MAX_PAGE}.")
        wanted = list_param(q, "item_status")
        if not wanted:
            raise errors.param("item_status is required.")
        if any(s not in ITEM_STATUSES for s in wanted):
            raise errors.param(f"Invalid item_status; one of {', '.join(ITEM_STATUSES)}.")
        time_from = int_param(q.get("update_time_from"), "update_time_from", required=False)
        time_to = int_param(q.get("update_time_to"), "update_time_to", required=False)
        with store.lock:
            items = [
                i
                for i in store.shop_items(call.shop)
                if i.status in wanted
                and (not time_from or i.update_time >= time_from)
                and (not time_to or i.update_time <= time_to)
            ]
            page = items[offset : offset + page_size]
            more = offset + page_size < len(items)
            return {
                "item": [
                    {"item_id": i.item_id, "item_status": i.status, "update_time": i.update_time}
                    for i in page
                ],
                "total_count": len(items),
                "has_next_page": more,
                "next_offset": offset + len(page) if more else 0,
            }

    @api.route("/api/v2/product/get_item_base_info", "GET", "product")
    async def get_item_base_info(call: Call) -> dict[str, Any]:
        raw = list_param(call.query, "item_id_list")
        if not raw:
            raise errors.param("item_id_list is required.")
        if len(raw) > MAX_BATCH:
            raise errors.param(f"The number of item_id_list should be between 1 and {MAX_BATCH}.")
        ids = [int_param(x, "item_id_list") for x in raw]
        currency = CURRENCY[store.region(call.shop)]
        with store.lock:
            found = [store.items[i] for i in ids if i in store.items]
            return {"item_list": [base_info(i, currency) for i in found if i.shop_id == call.shop]}

    @api.route("/api/v2/product/get_model_list", "GET", "product")
    async def get_model_list(call: Call) -> dict[str, Any]:
        item_id = int_param(call.query.get("item_id"), "item_id")
        currency = CURRENCY[store.region(call.shop)]
        with store.lock:
            item = store.item(call.shop, item_id)
            if not item.has_model:
                return {"tier_variation": [], "model": []}
            models = list(item.models.values())
            return {
                "tier_variation": [
                    {"name": "Variation", "option_list": [{"option": m.name} for m in models]}
                ],
                "model": [
                    {
                        "model_id": m.model_id,
                        "model_sku": m.sku,
                        "tier_index": [n],
                        "model_status": m.status,
                        "price_info": price_info(m, currency),
                        "stock_info_v2": stock_info_v2(m),
                    }
                    for n, m in enumerate(models)
                ],
            }

    @api.route("/api/v2/product/update_stock", "POST", "stock")
    async def update_stock(call: Call) -> dict[str, Any]:
        item_id = int_param(call.body.get("item_id"), "item_id")
        entries = _batch(call.body.get("stock_list"), "stock_list")
        success: list[dict[str, Any]] = []
        failure: list[dict[str, Any]] = []
        with store.lock:
            item = store.item(call.shop, item_id)
            for entry in entries:
                model_id = int_param(entry.get("model_id"), "model_id", required=False)
                locations = entry.get("seller_stock")
                if (
                    not isinstance(locations, list)
                    or not locations
                    or not all(isinstance(loc, dict) for loc in locations)
                ):
                    failure.append({"model_id": model_id, "failed_reason": "Invalid seller_stock."})
                    continue
                # One simulated warehouse: several locations' stocks add up to one number.
                location = locations[0]
                parts = [loc.get("stock") for loc in locations]
                valid = all(isinstance(p, int) and not isinstance(p, bool) for p in parts)
                stock = sum(p for p in parts if isinstance(p, int)) if valid else None
                model = item.models.get(model_id)
                if model is None:
                    reason = (
                        "model_id should be 0 for an item without variations."
                        if not item.has_model
                        else f"model_id {model_id} not found."
                    )
                    failure.append({"model_id": model_id, "failed_reason": reason})
                elif not isinstance(stock, int) or isinstance(stock, bool) or stock < 0:
                    failure.append({"model_id": model_id, "failed_reason": "Invalid stock."})
                elif stock < model.reserved:
                    failure.append(
                        {
                            "model_id": model_id,
                            "failed_reason": (
                                f"Stock {stock} is less than the reserved stock {model.reserved}."
                            ),
                        }
                    )
                else:
                    model.seller_stock = stock
                    success.append(
                        {
                            "model_id": model_id,
                            "location_id": str(location.get("location_id") or ""),
                            "stock": stock,
                        }
                    )
            if success:
                item.update_time = max(store.now(), item.update_time)
        return {"failure_list": failure, "success_list": success}

    @api.route("/api/v2/product/update_price", "POST", "product")
    async def update_price(call: Call) -> dict[str, Any]:
        item_id = int_param(call.body.get("item_id"), "item_id")
        entries = _batch(call.body.get("price_list"), "price_list")
        decimals_ok = store.region(call.shop) in DECIMAL_PRICE_REGIONS
        success: list[dict[str, Any]] = []
        failure: list[dict[str, Any]] = []
        with store.lock:
            item = store.item(call.shop, item_id)
            for entry in entries:
                model_id = int_param(entry.get("model_id"), "model_id", required=False)
                price = entry.get("original_price")
                model = item.models.get(model_id)
                if model is None:
                    failure.append(
                        {"model_id": model_id, "failed_reason": f"model_id {model_id} not found."}
                    )
                elif not isinstance(price, int | float) or isinstance(price, bool) or price <= 0:
                    failure.append({"model_id": model_id, "failed_reason": "Invalid price."})
                elif not decimals_ok and price != int(price):
                    failure.append(
                        {
                            "model_id": model_id,
                            "failed_reason": "Price must be an integer in this region.",
                        }
                    )
                else:
                    # The simulator runs no promotions: the current price follows the original.
                    model.original_price = model.price = float(price)
                    success.append({"model_id": model_id, "original_price": float(price)})
            if success:
                item.update_time = max(store.now(), item.update_time)
        return {"failure_list": failure, "success_list": success}
