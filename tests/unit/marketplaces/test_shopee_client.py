"""ShopeeClient against an in-memory fake: what it sends and how it reads the answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from storesync.domain.order_status import OrderStatus
from storesync.errors import NotFoundError, PlatformRejectedError, ValidationError
from storesync.marketplaces.base import ListingRef, PriceUpdate, StockUpdate
from storesync.marketplaces.shopee import ShopeeClient, signing

from .fakes import NOW, SHOPEE_APP, body, shopee_client, shopee_ok


def test_shop_calls_are_signed_with_token_and_shop_id_in_the_query() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return shopee_ok({"item_list": []})

    with shopee_client(handler) as client:
        client.read_stock([ListingRef("3000000001", "0")])
    query = {k: v[0] for k, v in parse_qs(urlsplit(str(seen[0].url)).query).items()}
    assert query["partner_id"] == "2001887"
    assert query["timestamp"] == str(int(NOW))
    assert query["access_token"] == "access-0"
    assert query["shop_id"] == "10000001"
    assert query["item_id_list"] == "3000000001"
    assert query["sign"] == signing.sign_shop(
        SHOPEE_APP.partner_key, 2001887, "/api/v2/product/get_item_base_info", int(NOW),
        "access-0", 10000001,
    )  # fmt: skip


def test_update_stock_writes_available_plus_reserved_and_splits_fifty_models_per_call() -> None:
    calls: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent = body(request)
        calls.append(sent)
        success = [
            {"model_id": e["model_id"], "location_id": "", "stock": e["seller_stock"][0]["stock"]}
            for e in sent["stock_list"]
        ]
        return shopee_ok({"failure_list": [], "success_list": success})

    updates = [
        StockUpdate(ListingRef("7", str(100 + n)), available=n, reserved_here=2) for n in range(120)
    ]
    with shopee_client(handler) as client:
        results = client.update_stock(updates)
    assert [len(c["stock_list"]) for c in calls] == [50, 50, 20]
    assert {c["item_id"] for c in calls} == {7}
    assert calls[0]["stock_list"][0] == {"model_id": 100, "seller_stock": [{"stock": 0 + 2}]}
    assert [r.ref for r in results] == [u.ref for u in updates]
    assert all(r.ok for r in results)
    assert [r.confirmed_available for r in results] == list(range(120))


def test_failure_list_entries_become_per_variant_results() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return shopee_ok(
            {
                "failure_list": [
                    {"model_id": 2, "failed_reason": "Stock 1 is less than the reserved stock 3."}
                ],
                "success_list": [{"model_id": 1, "location_id": "", "stock": 5}],
            }
        )

    updates = [
        StockUpdate(ListingRef("7", "1"), 5),
        StockUpdate(ListingRef("7", "2"), 1),
        StockUpdate(ListingRef("7", "3"), 1),
    ]
    with shopee_client(handler) as client:
        ok, refused, missing = client.update_stock(updates)
    assert ok.ok
    assert ok.confirmed_available == 5
    assert not refused.ok
    assert isinstance(refused.error, PlatformRejectedError)
    assert refused.error.details["request_id"] == "sr"
    assert not missing.ok
    assert missing.error is not None
    assert missing.error.retryable


def test_one_missing_item_does_not_stop_the_other_items() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if body(request)["item_id"] == 1:
            return httpx.Response(
                404,
                json={
                    "request_id": "x",
                    "error": "error_item_not_found",
                    "message": "Item 1 not found.",
                },
            )
        return shopee_ok({"failure_list": [], "success_list": [{"model_id": 0, "stock": 4}]})

    with shopee_client(handler) as client:
        gone, fine = client.update_stock(
            [StockUpdate(ListingRef("1", "0"), 3), StockUpdate(ListingRef("2", "0"), 4)]
        )
    assert isinstance(gone.error, NotFoundError)
    assert fine.ok
    assert fine.confirmed_available == 4


def test_update_prices_sends_original_price_per_model() -> None:
    sent: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(body(request))
        return shopee_ok(
            {"failure_list": [], "success_list": [{"model_id": 5, "original_price": 19.9}]}
        )

    with shopee_client(handler) as client:
        [result] = client.update_prices(
            [PriceUpdate(ListingRef("9", "5"), Decimal("19.90"), "SGD")]
        )
    assert sent == [{"item_id": 9, "price_list": [{"model_id": 5, "original_price": 19.9}]}]
    assert result.ok


def test_list_orders_splits_the_range_into_15_day_windows_and_follows_cursors() -> None:
    windows: list[tuple[int, int, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        q = request.url.params
        windows.append((int(q["time_from"]), int(q["time_to"]), q["cursor"]))
        assert q["time_range_field"] == "update_time"
        if q["cursor"] == "":
            return shopee_ok(
                {
                    "more": True,
                    "next_cursor": "c1",
                    "order_list": [{"order_sn": f"A{q['time_from']}"}, {"order_sn": "SAME"}],
                }
            )
        return shopee_ok(
            {"more": False, "next_cursor": "", "order_list": [{"order_sn": f"B{q['time_from']}"}]}
        )

    start = datetime(2024, 1, 1, tzinfo=UTC)
    with shopee_client(handler) as client:
        refs = list(client.list_orders(start, start + timedelta(days=40)))
    day = 86400
    t0 = int(start.timestamp())
    assert [(f - t0, t - t0) for f, t, c in windows if c == ""] == [
        (0, 15 * day), (15 * day, 30 * day), (30 * day, 40 * day)
    ]  # fmt: skip
    assert all(t - f <= 15 * day for f, t, _ in windows)
    ids = [r.external_id for r in refs]
    assert ids.count("SAME") == 1  # an order seen in two windows is listed once
    assert len(ids) == 7


def test_get_orders_batches_by_fifty_and_maps_lines() -> None:
    batches: list[list[str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sns = request.url.params["order_sn_list"].split(",")
        batches.append(sns)
        assert "item_list" in request.url.params["response_optional_fields"]
        return shopee_ok(
            {
                "order_list": [
                    {
                        "order_sn": sn, "order_status": "IN_CANCEL", "currency": "SGD",
                        "create_time": 1_700_000_000, "update_time": 1_700_000_100,
                        "item_list": [
                            {"item_id": 1, "model_id": 0, "item_sku": "A", "model_sku": "",
                             "model_quantity_purchased": 2, "model_discounted_price": 9.5},
                            {"item_id": 1, "model_id": 0, "item_sku": "A", "model_sku": "",
                             "model_quantity_purchased": 1, "model_discounted_price": 9.5},
                        ],
                    }
                    for sn in sns
                ]
            }
        )  # fmt: skip

    ids = [f"SN{n}" for n in range(120)]
    with shopee_client(handler) as client:
        orders = client.get_orders(ids)
    assert [len(b) for b in batches] == [50, 50, 20]
    order = orders[0]
    assert order.status is OrderStatus.CANCEL_REQUESTED
    assert order.raw_status == "IN_CANCEL"
    assert order.created_at == datetime.fromtimestamp(1_700_000_000, UTC)
    [line] = order.lines
    assert (line.ref, line.sku, line.quantity, line.unit_price) == (
        ListingRef("1", "0"), "A", 3, Decimal("9.5")
    )  # fmt: skip


def _app_client(handler: Any) -> ShopeeClient:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return ShopeeClient(SHOPEE_APP, http_client=http, clock=lambda: NOW)


TOKEN_ANSWER = {"request_id": "t", "error": "", "message": "", "access_token": "A",
                "refresh_token": "R", "expire_in": 14400}  # fmt: skip


def test_exchange_code_keeps_the_tokens_when_shop_info_fails() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/auth/token/get"):
            assert body(request) == {"code": "C", "partner_id": 2001887, "shop_id": 42}
            return httpx.Response(200, json=TOKEN_ANSWER)
        return httpx.Response(502, text="bad gateway")

    with _app_client(handler) as app:
        [shop] = app.exchange_code("C", "42")
    assert shop.external_shop_id == "42"
    assert shop.tokens.access_token == "A"
    assert shop.tokens.access_expires_at == datetime.fromtimestamp(NOW, UTC) + timedelta(hours=4)
    assert shop.tokens.refresh_expires_at == datetime.fromtimestamp(NOW, UTC) + timedelta(days=30)


def test_a_main_account_code_connects_every_shop_it_covers() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/auth/token/get"):
            assert body(request)["main_account_id"] == 7
            return httpx.Response(200, json={**TOKEN_ANSWER, "shop_id_list": [1, 2]})
        shop = request.url.params["shop_id"]
        return httpx.Response(200, json={"request_id": "i", "error": "", "message": "",
                                         "shop_name": f"S{shop}", "region": "SG"})  # fmt: skip

    with _app_client(handler) as app:
        shops = app.exchange_code("C", "main:7")
    assert [(s.external_shop_id, s.name, s.region) for s in shops] == [
        ("1", "S1", "SG"), ("2", "S2", "SG")
    ]  # fmt: skip


def test_exchange_code_needs_the_shop_id_from_the_redirect() -> None:
    with _app_client(lambda request: httpx.Response(500)) as app, pytest.raises(ValidationError):
        app.exchange_code("C", None)


def test_consent_link_is_public_signed_and_carries_state_in_the_redirect() -> None:
    with _app_client(lambda request: httpx.Response(500)) as app:
        url = app.authorization_url("https://us.example/cb?x=1", "s1")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith("https://shopee.test/api/v2/shop/auth_partner?")
    assert query["redirect"] == "https://us.example/cb?x=1&state=s1"
    assert query["sign"] == signing.sign_public(
        SHOPEE_APP.partner_key, 2001887, "/api/v2/shop/auth_partner", int(NOW)
    )
