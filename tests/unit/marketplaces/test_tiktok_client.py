"""TikTokClient against an in-memory fake: what it sends and how it reads the answers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from storesync.domain.order_status import OrderStatus
from storesync.errors import NotFoundError, PlatformRejectedError
from storesync.marketplaces.base import ListingRef, PriceUpdate, ShopCredentials, StockUpdate
from storesync.marketplaces.tiktok import TikTokClient, signing

from .fakes import NOW, TIKTOK_APP, TOKENS, body, tiktok_client, tiktok_ok


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

    with tiktok_client(handler) as client:
        refs = list(
            client.list_orders(datetime.fromtimestamp(100, UTC), datetime.fromtimestamp(200.5, UTC))
        )
    assert [r.external_id for r in refs] == ["o1", "o2", "o3"]
    assert seen_bodies[0] == {"update_time_ge": 100, "update_time_lt": 201}
    assert refs[0].updated_at == datetime.fromtimestamp(5, UTC)


def test_consent_link_uses_the_service_page_when_configured_else_the_legacy_one() -> None:
    legacy = TikTokClient(TIKTOK_APP).authorization_url("https://us.example/cb", "s1")
    assert legacy.startswith("https://auth.tiktok.test/oauth/authorize?app_key=app-key&state=s1")
    current = TikTokClient(replace(TIKTOK_APP, service_id="svc")).authorization_url("u", "s2")
    assert current.startswith(
        "https://services.tiktokshop.com/open/authorize?service_id=svc&state=s2"
    )


def test_refresh_goes_unsigned_to_the_auth_host_and_reports_absolute_expiries() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        data = {"access_token": "A2", "access_token_expire_in": 1_800_000_000}
        data |= {"refresh_token": "R2", "refresh_token_expire_in": 1_900_000_000}
        return tiktok_ok(data)

    with tiktok_client(handler) as client:
        tokens = client.refresh_tokens()
    [request] = seen
    assert request.url.host == "auth.tiktok.test"
    assert request.url.path == "/api/v2/token/refresh"
    assert dict(request.url.params) == {
        "app_key": "app-key", "app_secret": "app-secret", "refresh_token": "refresh-0",
        "grant_type": "refresh_token",
    }  # fmt: skip
    assert tokens.access_expires_at == datetime.fromtimestamp(1_800_000_000, UTC)
    assert tokens.refresh_token == "R2"


def test_shop_credentials_without_a_cipher_are_refused_up_front() -> None:
    with pytest.raises(ValueError, match="cipher"):
        TikTokClient(TIKTOK_APP, ShopCredentials("1", TOKENS))


def test_an_error_naming_no_sku_of_ours_confirms_nothing() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return tiktok_ok({"errors": [{"code": 12052036, "message": "The SKU ID is necessary"}]})

    with tiktok_client(handler) as client:
        [result] = client.update_stock([StockUpdate(ListingRef("p", "s1"), 1)])
    assert not result.ok
    assert result.confirmed_available is None
