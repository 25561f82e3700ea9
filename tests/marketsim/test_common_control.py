"""The /_sim/ control API shape (run in-process on the Shopee simulator)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from marketsim.shopee.app import create_app
from tests.marketsim.shopee_helpers import PARTNER_ID, PARTNER_KEY, Client, Shop

MUG = {"name": "Mug", "variants": [{"sku": "MUG", "price": 9.5, "stock": 3}]}


@pytest.fixture
def http() -> Iterator[TestClient]:
    with TestClient(create_app(partner_id=PARTNER_ID, partner_key=PARTNER_KEY)) as client:
        yield client


@pytest.fixture
def shop_id(http: TestClient) -> int:
    return int(http.post("/_sim/shops", json={}).json()["shop_id"])


def test_create_shop_returns_a_connected_shop(http: TestClient) -> None:
    body = http.post("/_sim/shops", json={"name": "Demo", "region": "MY"}).json()
    assert set(body) == {"shop_id", "access_token", "refresh_token"}
    client = Client(http)  # type: ignore[arg-type]  # TestClient is an httpx.Client
    client.shop = Shop(body["shop_id"], body["access_token"], body["refresh_token"])
    info = client.ok("GET", "/api/v2/shop/get_shop_info")
    assert (info["shop_name"], info["region"]) == ("Demo", "MY")
    assert http.post("/_sim/shops").status_code == 200  # the body is optional
    assert http.post("/_sim/shops", json={"region": "XX"}).status_code == 400


def test_products_orders_status_and_stock(http: TestClient, shop_id: int) -> None:
    created = http.post("/_sim/products", json={"shop_id": shop_id, "products": [MUG]}).json()
    assert set(created) == {"skus"}
    assert set(created["skus"]["MUG"]) == {"item_id", "model_id"}

    order = http.post(
        "/_sim/orders", json={"shop_id": shop_id, "lines": [{"sku": "MUG", "quantity": 2}]}
    )
    assert order.status_code == 200
    assert set(order.json()) == {"order_id"}
    order_id = order.json()["order_id"]
    assert http.get("/_sim/stock", params={"shop_id": shop_id}).json() == {
        "MUG": {"seller_stock": 3, "reserved": 2, "available": 1}
    }
    too_many = {"shop_id": shop_id, "lines": [{"sku": "MUG", "quantity": 2}]}
    assert http.post("/_sim/orders", json=too_many).status_code == 409
    unknown = {"shop_id": shop_id, "lines": [{"sku": "NOPE", "quantity": 1}]}
    assert http.post("/_sim/orders", json=unknown).status_code == 404

    moved = http.post(f"/_sim/orders/{order_id}/status", json={"status": "SHIPPED"})
    assert moved.status_code == 200
    assert http.get("/_sim/stock", params={"shop_id": shop_id}).json()["MUG"] == {
        "seller_stock": 1,
        "reserved": 0,
        "available": 1,
    }
    back = http.post(f"/_sim/orders/{order_id}/status", json={"status": "READY_TO_SHIP"})
    assert back.status_code == 409
    assert http.post("/_sim/orders/NOPE/status", json={"status": "SHIPPED"}).status_code == 404


def test_duplicate_skus_in_a_shop_are_refused(http: TestClient, shop_id: int) -> None:
    assert http.post("/_sim/products", json={"shop_id": shop_id, "products": [MUG]}).is_success
    again = http.post("/_sim/products", json={"shop_id": shop_id, "products": [MUG]})
    assert again.status_code == 409


def test_unknown_shop_is_404(http: TestClient) -> None:
    assert http.get("/_sim/stock", params={"shop_id": 1}).status_code == 404
    assert http.post("/_sim/products", json={"shop_id": 1, "products": [MUG]}).status_code == 404


def test_webhook_faults_calls_clock(http: TestClient) -> None:
    assert http.put("/_sim/webhook", json={"url": "http://x.invalid/h"}).json() == {
        "url": "http://x.invalid/h"
    }
    assert http.get("/_sim/webhook").json()["url"] == "http://x.invalid/h"

    faults = http.get("/_sim/faults").json()
    assert faults["injected"] == {}
    faults["rate_limits"] = {"order": 5}
    assert http.put("/_sim/faults", json=faults).status_code == 200  # a GET can be PUT back
    assert http.get("/_sim/faults").json()["rate_limits"] == {"order": 5}
    assert http.put("/_sim/faults", json={"families": {"x": {"bad": 1}}}).status_code == 422

    assert http.get("/_sim/calls").json() == {}
    before = http.get("/_sim/clock").json()["now"]
    after = http.post("/_sim/clock", json={"advance_seconds": 3600}).json()["now"]
    assert after - before >= 3600
    assert http.post("/_sim/clock", json={"advance_seconds": -1}).status_code == 422


def test_calls_are_counted_by_path_and_outcome(http: TestClient) -> None:
    client = Client(http)  # type: ignore[arg-type]  # TestClient is an httpx.Client
    client.new_shop()
    client.call("GET", "/api/v2/shop/get_shop_info")
    client.call("GET", "/api/v2/shop/get_shop_info", sign="bad")
    assert http.get("/_sim/calls").json() == {
        "/api/v2/shop/get_shop_info": {"ok": 1, "error_sign": 1}
    }


def test_reset_forgets_state_and_restores_start_up_faults(http: TestClient, shop_id: int) -> None:
    http.post("/_sim/products", json={"shop_id": shop_id, "products": [MUG]})
    http.put("/_sim/faults", json={"rate_limits": {"order": 1}})
    http.post("/_sim/clock", json={"advance_seconds": 100})
    assert http.post("/_sim/reset").json() == {"ok": True}
    assert http.get("/_sim/stock", params={"shop_id": shop_id}).status_code == 404
    assert http.get("/_sim/faults").json()["rate_limits"] == {}
    assert http.get("/_sim/clock").json()["offset"] == 0
    # Same seed, same ids after a reset.
    assert int(http.post("/_sim/shops", json={}).json()["shop_id"]) == shop_id


def test_webhook_deliveries_list_every_attempt_read_only(http: TestClient) -> None:
    page = http.get("/_sim/webhook/deliveries").json()
    assert page == {"deliveries": [], "next": 0, "last": 0, "first_kept": 1}
    sender = http.app.state.sim.ctx.webhooks  # type: ignore[attr-defined]
    sender._record(b"{}", 1, {"event_id": "e-1"}, {"ok": True, "status": 204})
    sender._record(b"{}", 2, {}, {"ok": False})
    answer = http.get("/_sim/webhook/deliveries", params={"after": 0, "limit": 1}).json()
    assert [(d["event_id"], d["status"], d["attempt"]) for d in answer["deliveries"]] == [
        ("e-1", 204, 1)
    ]
    assert answer["next"] == 1
    assert answer["last"] == 2
    rest = http.get("/_sim/webhook/deliveries", params={"after": 1}).json()["deliveries"]
    assert [(d["status"], d["ok"]) for d in rest] == [(None, False)]
    assert http.get("/_sim/webhook/deliveries", params={"limit": 0}).status_code == 422
