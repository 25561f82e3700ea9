"""TikTokClient against an in-memory fake: what it sends and how it reads the answers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from storesync.domain.order_status import OrderStatus
from storesync.errors import NotFoundError, PlatformRejectedError
from storesync.marketplaces.base import ListingRef, PriceUpdate, StockUpdate
from storesync.marketplaces.tiktok import signing

from .fakes import NOW, TIKTOK_APP, body, tiktok_client, tiktok_ok


def test_calls_are_signed_over_path_query_and_the_exact_body_bytes() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return tiktok_ok({})

    with tiktok_client(handler) as client:
        client.update_stock([StockUpdate(ListingRef("p1", "s1"), 3)])
    [request] = seen
    query = dict(request.url.params)
    assert query["app_key"] == "app-key"
    assert query["shop_cipher"] == "ROW_cipher"
    assert query["timestamp"] == str(int(NOW))
    assert request.headers["x-tts-access-token"] == "access-0"
    assert "access_token" not in query
    expected = signing.api_sign(TIKTOK_APP.app_secret, request.url.path, query, request.content)
    assert query["sign"] == expected


def test_update_stock_writes_available_as_quantity_one_product_per_call() -> None:
    calls: list[tuple[str, dict[str, Any]]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append((request.url.path, body(request)))
        return tiktok_ok({})

    updates = [
        StockUpdate(ListingRef("p1", "s1"), available=5, reserved_here=3),
        StockUpdate(ListingRef("p2", "s2"), available=0, reserved_here=1),
        StockUpdate(ListingRef("p1", "s3"), available=250_000),
    ]
    with tiktok_client(handler) as client:
        results = client.update_stock(updates)
    assert calls == [
        ("/product/202309/products/p1/inventory/update",
         {"skus": [{"id": "s1", "inventory": [{"quantity": 5}]},
                   {"id": "s3", "inventory": [{"quantity": 99_999}]}]}),
        ("/product/202309/products/p2/inventory/update",
         {"skus": [{"id": "s2", "inventory": [{"quantity": 0}]}]}),
    ]  # fmt: skip
    assert [r.confirmed_available for r in results] == [5, 0, 99_999]


def test_sku_errors_inside_a_success_become_per_variant_results() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return tiktok_ok(
            {"errors": [{"code": 12052557, "message": "The SKU ID does not belong to the product.",
                         "detail": {"sku_id": "s2", "extra_errors": []}}]}
        )  # fmt: skip

    with tiktok_client(handler) as client:
        ok, bad = client.update_stock(
            [StockUpdate(ListingRef("p", "s1"), 1), StockUpdate(ListingRef("p", "s2"), 1)]
        )
    assert ok.ok
    assert ok.confirmed_available == 1
    assert not bad.ok
    assert isinstance(bad.error, NotFoundError)
    assert bad.error.details["vendor_code"] == 12052557


def test_a_refused_price_call_fails_that_products_variants_only() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if "/p1/" in request.url.path:
            return httpx.Response(
                200, json={"code": 12052038, "message": "promotion", "request_id": "r", "data": {}}
            )
        assert body(request) == {
            "skus": [{"id": "s2", "price": {"amount": "10.50", "currency": "MYR"}}]
        }
        return tiktok_ok({})

    with tiktok_client(handler) as client:
        locked, fine = client.update_prices(
            [PriceUpdate(ListingRef("p1", "s1"), Decimal("9"), "MYR"),
             PriceUpdate(ListingRef("p2", "s2"), Decimal("10.50"), "MYR")]
        )  # fmt: skip
    assert isinstance(locked.error, PlatformRejectedError)
    assert fine.ok


def test_line_items_are_counted_per_sku_and_cancelled_units_dropped() -> None:
    def item(sku: str, price: str, status: str = "AWAITING_SHIPMENT") -> dict[str, Any]:
        return {"id": "li", "sku_id": sku, "product_id": "p", "seller_sku": sku.upper(),
                "sale_price": price, "display_status": status}  # fmt: skip

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.params["ids"] == "o1"
        order = {
            "id": "o1", "status": "AWAITING_SHIPMENT", "create_time": 1, "update_time": 2,
            "payment": {"currency": "MYR"},
            "line_items": [item("a", "10"), item("a", "10"), item("a", "10", "CANCELLED"),
                           item("b", "3.00"), item("b", "4.00")],
        }  # fmt: skip
        return tiktok_ok({"orders": [order]})

    with tiktok_client(handler) as client:
        [order] = client.get_orders(["o1"])
    assert order.status is OrderStatus.READY_TO_SHIP
    assert order.currency == "MYR"
    assert [(line.sku, line.quantity, line.unit_price) for line in order.lines] == [
        ("A", 2, Decimal("10")),
        ("B", 2, Decimal("3.50")),
    ]


def test_list_orders_pages_by_token_oldest_update_first() -> None:
    pages = {"": ("t2", ["o1", "o2"]), "t2": ("", ["o2", "o3"])}
    seen_bodies: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        q = request.url.params
        assert (q["sort_field"], q["sort_order"], q["page_size"]) == ("update_time", "ASC", "100")
        seen_bodies.append(body(request))
        nxt, ids = pages[q.get("page_token", "")]
        orders = [{"id": i, "status": "UNPAID", "create_time": 1, "update_time": 5} for i in ids]
        return tiktok_ok({"orders": orders, "next_page_token": nxt})

    from datetime import UTC, datetime

    with tiktok_client(handler) as client:
        refs = list(
            client.list_orders(datetime.fromtimestamp(100, UTC), datetime.fromtimestamp(200.5, UTC))
        )
    assert [r.external_id for r in refs] == ["o1", "o2", "o3"]
    assert seen_bodies[0] == {"update_time_ge": 100, "update_time_lt": 201}
    assert refs[0].updated_at == datetime.fromtimestamp(5, UTC)
