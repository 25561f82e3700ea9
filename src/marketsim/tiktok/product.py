"""Catalog, stock and price endpoints (docs/platforms/tiktok.md#endpoints-and-batch-limits): search,
detail, inventory, warehouses."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from marketsim.tiktok import errors, pagination, params, views
from marketsim.tiktok.config import SCOPE_LOGISTICS, SCOPE_PRODUCT_READ, SCOPE_PRODUCT_WRITE
from marketsim.tiktok.gateway import Route, parse_json_body
from marketsim.tiktok.models import PRODUCT_STATUSES, Product, Shop, Sku
from marketsim.tiktok.platform import TikTokSim

SEARCH_VERSIONS = ("202309", "202312", "202502")
SEARCH_ROUTE = Route(family="product", scope=SCOPE_PRODUCT_READ)
READ_ROUTE = Route(family="product", scope=SCOPE_PRODUCT_READ)
PRICE_ROUTE = Route(family="product", scope=SCOPE_PRODUCT_WRITE)
INVENTORY_READ_ROUTE = Route(family="inventory", scope=SCOPE_PRODUCT_READ)
INVENTORY_WRITE_ROUTE = Route(family="inventory", scope=SCOPE_PRODUCT_WRITE)
WAREHOUSE_ROUTE = Route(family="logistics", scope=SCOPE_LOGISTICS)

MAX_SEARCH_RESULTS = 10_000
MAX_SELLER_SKUS = 10
MAX_INVENTORY_PRODUCTS = 100
MAX_INVENTORY_SKUS = 600
MAX_QUANTITY = 99_999
BAD = errors.PRODUCT_INVALID_PARAMS


def _search_filters(body: dict[str, Any]) -> dict[str, Any]:
    status = params.optional_str(body, "status", BAD) or "ALL"
    if status != "ALL" and status not in PRODUCT_STATUSES:
        raise errors.TikTokError(BAD, f"Unknown status {status}.")
    seller_skus = params.str_list(body, "seller_skus", BAD)
    if seller_skus is not None and len(seller_skus) > MAX_SELLER_SKUS:
        raise errors.TikTokError(errors.SELLER_SKUS_LIMIT)
    return {
        "status": status,
        "seller_skus": seller_skus,
        **{
            name: params.optional_int(body, name, BAD)
            for name in ("create_time_ge", "create_time_le", "update_time_ge", "update_time_le")
        },
    }


def _matches(product: Product, f: dict[str, Any]) -> bool:
    # "ALL" still hides deleted products, as the seller center does.
    if f["status"] == "ALL" and product.status == "DELETED":
        return False
    if f["status"] != "ALL" and product.status != f["status"]:
        return False
    if f["seller_skus"] and not {s.seller_sku for s in product.skus} & set(f["seller_skus"]):
        return False
    return params.in_range(
        product.create_time, f["create_time_ge"], f["create_time_le"], high_inclusive=True
    ) and params.in_range(
        product.update_time, f["update_time_ge"], f["update_time_le"], high_inclusive=True
    )


def _owned_product(sim: TikTokSim, shop: Shop, product_id: str) -> Product:
    product = sim.store.products.get(product_id)
    if product is None or product.status == "DELETED":
        raise errors.TikTokError(errors.PRODUCT_NOT_FOUND)
    if product.shop_id != shop.id:
        raise errors.TikTokError(errors.PRODUCT_NOT_IN_SHOP)
    return product


def _sku_error(
    spec: errors.ErrorSpec, sku_id: str, extra: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "code": spec.code,
        "message": spec.message,
        "detail": {"sku_id": sku_id, "extra_errors": extra or []},
    }


def _check_inventory(entries: Any, shop: Shop) -> tuple[int | None, list[dict[str, Any]]]:
    """The quantity to set for one SKU, or the per-warehouse errors that block it."""
    if not isinstance(entries, list) or not entries:
        return None, [_extra(errors.QUANTITY_OUT_OF_RANGE, "")]
    quantity: int | None = None
    extra: list[dict[str, Any]] = []
    for entry in entries:
        entry = entry if isinstance(entry, dict) else {}
        # Optional while the SKU has a single (default) warehouse, which is all we simulate.
        warehouse_id = entry.get("warehouse_id") or shop.warehouse_id
        value = entry.get("quantity")
        if warehouse_id != shop.warehouse_id:
            extra.append(_extra(errors.WAREHOUSE_NOT_FOUND, str(warehouse_id)))
        elif (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_QUANTITY
        ):
            extra.append(_extra(errors.QUANTITY_OUT_OF_RANGE, str(warehouse_id)))
        else:
            quantity = value
    return (None, extra) if extra else (quantity, [])


def _extra(spec: errors.ErrorSpec, warehouse_id: str) -> dict[str, Any]:
    return {"warehouse_id": warehouse_id, "code": spec.code, "message": spec.message}


def _parse_price(raw: Any, shop: Shop) -> Decimal:
    price = raw if isinstance(raw, dict) else {}
    amount = price.get("amount")
    currency = price.get("currency")
    if currency is not None and currency != shop.currency:
        raise errors.TikTokError(errors.CURRENCY_NOT_AVAILABLE)
    try:
        value = Decimal(amount) if isinstance(amount, str) else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value <= 0:
        raise errors.TikTokError(errors.PRICE_FORMAT)
    return value


def router(sim: TikTokSim) -> APIRouter:
    api = APIRouter()
    store = sim.store

    async def search(request: Request) -> JSONResponse:
        caller = await sim.gateway.admit(request, SEARCH_ROUTE)
        shop = caller.require_shop()
        size = params.page_size(caller.query, errors.PAGE_SIZE_INVALID)
        filters = _search_filters(parse_json_body(caller.body))
        offset = pagination.decode(caller.query.get("page_token", ""), filters, BAD)
        if offset + size > MAX_SEARCH_RESULTS:
            raise errors.TikTokError(errors.SEARCH_RESULT_LIMIT)
        with store.lock:
            # Oldest first by id: stable while a client pages, even as stock updates land.
            found = sorted(
                (p for p in store.products_of(shop.id) if _matches(p, filters)),
                key=lambda p: int(p.id),
            )
            chunk, next_token = pagination.page(found, offset, size, filters)
            data = {
                "products": [views.product_summary(p, shop) for p in chunk],
                "total_count": len(found),
                "next_page_token": next_token,
            }
        return sim.ok(request, data)

    for version in SEARCH_VERSIONS:
        api.add_api_route(f"/product/{version}/products/search", search, methods=["POST"])

    @api.get("/product/202309/products/{product_id}")
    async def detail(request: Request, product_id: str) -> JSONResponse:
        caller = await sim.gateway.admit(request, READ_ROUTE)
        shop = caller.require_shop()
        with store.lock:
            product = store.products.get(product_id)
            if product is None or product.shop_id != shop.id or product.status == "DELETED":
                raise errors.TikTokError(errors.PRODUCT_NOT_FOUND)
            return sim.ok(request, views.product_detail(product, shop))

    @api.post("/product/202309/inventory/search")
    async def inventory_search(request: Request) -> JSONResponse:
        caller = await sim.gateway.admit(request, INVENTORY_READ_ROUTE)
        shop = caller.require_shop()
        body = parse_json_body(caller.body)
        product_ids = params.str_list(body, "product_ids", BAD)
        sku_ids = params.str_list(body, "sku_ids", BAD)
        if not product_ids and not sku_ids:
            raise errors.TikTokError(BAD, "Pass `product_ids` or `sku_ids`.")
        if product_ids and len(product_ids) > MAX_INVENTORY_PRODUCTS:
            raise errors.TikTokError(errors.INVENTORY_PRODUCT_LIMIT)
        if sku_ids and len(sku_ids) > MAX_INVENTORY_SKUS:
            raise errors.TikTokError(errors.INVENTORY_SKU_LIMIT)
        with store.lock:
            wanted: dict[str, list[Sku]] = {}
            for pid in product_ids or []:
                product = store.products.get(pid)
                if product is not None and product.shop_id == shop.id:
                    wanted[pid] = [s for s in product.skus if not sku_ids or s.id in sku_ids]
            if not product_ids:
                for sid in sku_ids or []:
                    sku = store.skus.get(sid)
                    if sku is not None and store.products[sku.product_id].shop_id == shop.id:
                        wanted.setdefault(sku.product_id, []).append(sku)
            # Unknown or foreign ids are left out rather than failing the whole batch.
            data = {
                "inventory": [
                    views.inventory(store.products[pid], skus, shop) for pid, skus in wanted.items()
                ]
            }
        return sim.ok(request, data)

    @api.post("/product/202309/products/{product_id}/inventory/update")
    async def inventory_update(request: Request, product_id: str) -> JSONResponse:
        caller = await sim.gateway.admit(request, INVENTORY_WRITE_ROUTE)
        shop = caller.require_shop()
        body = parse_json_body(caller.body)
        skus = body.get("skus")
        if not isinstance(skus, list) or not skus:
            raise errors.TikTokError(BAD, "`skus` is required.")
        failures: list[dict[str, Any]] = []
        with store.lock:
            product = _owned_product(sim, shop, product_id)
            own = {s.id: s for s in product.skus}
            changed = False
            # Per-SKU outcome: good SKUs are applied even when others fail (code 0 + errors).
            for item in skus:
                item = item if isinstance(item, dict) else {}
                sku_id = item.get("id")
                if not isinstance(sku_id, str) or not sku_id:
                    failures.append(_sku_error(errors.SKU_ID_REQUIRED, ""))
                    continue
                if sku_id not in own:
                    failures.append(_sku_error(errors.SKU_NOT_IN_PRODUCT, sku_id))
                    continue
                quantity, extra = _check_inventory(item.get("inventory"), shop)
                if quantity is None:
                    failures.append(_sku_error(errors.SKU_CHECK_FAILED, sku_id, extra))
                    continue
                own[sku_id].available = quantity
                changed = True
            if changed:
                store.touch(product)
        return sim.ok(request, {"errors": failures} if failures else {})

    @api.post("/product/202309/products/{product_id}/prices/update")
    async def price_update(request: Request, product_id: str) -> JSONResponse:
        caller = await sim.gateway.admit(request, PRICE_ROUTE)
        shop = caller.require_shop()
        body = parse_json_body(caller.body)
        skus = body.get("skus")
        if not isinstance(skus, list) or not skus:
            raise errors.TikTokError(BAD, "`skus` is required.")
        with store.lock:
            product = _owned_product(sim, shop, product_id)
            own = {s.id: s for s in product.skus}
            prices: dict[str, Decimal] = {}
            # All or nothing: the price endpoint answers `data: {}` with no per-SKU errors.
            for item in skus:
                item = item if isinstance(item, dict) else {}
                sku_id = item.get("id")
                if not isinstance(sku_id, str) or not sku_id:
                    raise errors.TikTokError(errors.SKU_ID_REQUIRED)
                if sku_id in prices:
                    raise errors.TikTokError(errors.SKU_DUPLICATE)
                if sku_id not in own:
                    raise errors.TikTokError(errors.SKU_NOT_IN_PRODUCT)
                prices[sku_id] = _parse_price(item.get("price"), shop)
            for sku_id, price in prices.items():
                own[sku_id].price = price
            store.touch(product)
        return sim.ok(request, {})

    @api.get("/logistics/202309/warehouses")
    async def warehouses(request: Request) -> JSONResponse:
        caller = await sim.gateway.admit(request, WAREHOUSE_ROUTE)
        shop = caller.require_shop()
        warehouse = {
            "id": shop.warehouse_id,
            "name": f"{shop.name} warehouse",
            "type": "SALES_WAREHOUSE",
            "effect_status": "ENABLED",
            "is_default": True,
        }
        return sim.ok(request, {"warehouses": [warehouse]})

    return api
