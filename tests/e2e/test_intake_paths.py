"""Every way an order can reach us — or fail to — ends with it imported once, stock moved once."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from storesync.db.engine import unit_of_work
from storesync.db.models import Order, RejectedDelivery, WebhookEvent
from tests.e2e.harness import PARTNER_KEY, Stack, connect_two_shops, wait_for


@pytest.fixture
def stack(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Stack]:
    running = Stack(tmp_path, overrides=getattr(request, "param", {})).start()
    yield running
    running.stop()


def _count(stack: Stack, model: Any, *where: Any) -> int:
    with unit_of_work(stack.container.session_factory) as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_a_forged_webhook_is_rejected_recorded_and_changes_nothing(stack: Stack) -> None:
    shops = connect_two_shops(stack)
    body = json.dumps(
        {
            "shop_id": int(shops.shopee_sim_id),
            "code": 3,
            "timestamp": 1,
            "msg_id": "forged-1",
            "data": {"ordersn": "X1", "status": "READY_TO_SHIP", "update_time": 1},
        }
    ).encode()
    wrong = hmac.new(
        b"not-the-partner-key", stack.url.encode() + b"/webhooks/shopee|" + body, hashlib.sha256
    )
    response = stack.api.post(
        "/webhooks/shopee", content=body, headers={"Authorization": wrong.hexdigest()}
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AUTHENTICATION_ERROR"
    # A bounded sample of it is kept (webhook/rejected.py), never an event row.
    assert _count(stack, RejectedDelivery) == 1
    assert _count(stack, WebhookEvent) == 0
    assert _count(stack, Order) == 0


def test_a_correctly_signed_shopee_push_is_accepted_with_an_empty_body(stack: Stack) -> None:
    connect_two_shops(stack)
    body = b'{"code":1,"timestamp":1,"data":{}}'
    url = f"{stack.url}/webhooks/shopee"
    sign = hmac.new(PARTNER_KEY.encode(), url.encode() + b"|" + body, hashlib.sha256).hexdigest()
    response = stack.api.post("/webhooks/shopee", content=body, headers={"Authorization": sign})
    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.parametrize("platform", ["shopee", "tiktok"])
def test_an_order_whose_webhook_was_dropped_is_imported_by_polling(
    stack: Stack, platform: str
) -> None:
    shops = connect_two_shops(stack)
    sim = stack.shopee if platform == "shopee" else stack.tiktok
    sim_shop = shops.shopee_sim_id if platform == "shopee" else shops.tiktok_sim_id
    sim.http.put("/_sim/faults", json={"seed": 1, "webhooks": {"drop": 1.0}}).raise_for_status()
    order = sim.post(
        "/_sim/orders", {"shop_id": sim_shop, "lines": [{"sku": "SHIRT-M", "quantity": 2}]}
    )
    wait_for(
        lambda: _count(stack, Order, Order.external_id == str(order["order_id"])) == 1,
        timeout_s=20,
        what="the poll to import the order",
    )
    wait_for(lambda: stack.api.get("/api/v1/inventory/SHIRT-M").json()["reserved"] == 2)
    assert (
        _count(
            stack,
            WebhookEvent,
            WebhookEvent.kind == "order_status",
            WebhookEvent.platform == platform,
        )
        <= 1
    )


def test_duplicated_and_reordered_webhooks_reserve_once(stack: Stack) -> None:
    shops = connect_two_shops(stack)
    faults = {
        "seed": 7,
        "webhooks": {"duplicate": 1.0, "reorder": 0.5, "delay": 0.3, "delay_seconds": 0.5},
    }
    for sim in (stack.shopee, stack.tiktok):
        sim.http.put("/_sim/faults", json=faults).raise_for_status()
    created = []
    for sim, sim_shop in ((stack.shopee, shops.shopee_sim_id), (stack.tiktok, shops.tiktok_sim_id)):
        for _ in range(3):
            order = sim.post(
                "/_sim/orders", {"shop_id": sim_shop, "lines": [{"sku": "SHIRT-S", "quantity": 1}]}
            )
            created.append(order["order_id"])
        sim.post(f"/_sim/orders/{created[-1]}/status", {"status": "CANCELLED"})
    wait_for(lambda: _count(stack, Order) == 6, what="six orders imported")

    def settled() -> bool:
        inventory = stack.api.get("/api/v1/inventory/SHIRT-S").json()
        return (inventory["on_hand"], inventory["reserved"]) == (10, 4)

    wait_for(settled, what="4 units reserved (6 orders, 2 cancelled)")
    assert _count(stack, Order) == 6


def test_shopee_lost_pushes_are_fetched_and_confirmed(stack: Stack) -> None:
    shops = connect_two_shops(stack)
    stack.shopee.http.put(
        "/_sim/faults", json={"seed": 3, "webhooks": {"drop": 1.0}}
    ).raise_for_status()
    stack.shopee.post(
        "/_sim/orders", {"shop_id": shops.shopee_sim_id, "lines": [{"sku": "TOTE", "quantity": 1}]}
    )
    wait_for(
        lambda: (
            _count(
                stack,
                WebhookEvent,
                WebhookEvent.platform == "shopee",
                WebhookEvent.kind == "order_status",
            )
            >= 1
        ),
        timeout_s=20,
        what="the lost push to be fetched",
    )
    calls = stack.shopee.http.get("/_sim/calls").json()
    confirmed = [path for path in calls if "confirm_consumed_lost_push_message" in path]
    assert confirmed, calls


# One script's burst of 100 changes, each accepted: above the inbound limit's default burst.
@pytest.mark.parametrize("stack", [{"api_rate_limit_burst": 1000}], indirect=True)
def test_a_burst_of_changes_to_one_sku_coalesces_into_few_pushes_of_the_last_value(
    stack: Stack,
) -> None:
    shops = connect_two_shops(stack)
    wait_for(
        lambda: (
            not any(
                listing["dirty"]
                for listing in stack.api.get("/api/v1/inventory/SHIRT-S").json()["listings"]
            )
        )
    )
    before = _stock_update_calls(stack)
    for _ in range(100):
        stack.api.post(
            "/api/v1/inventory/SHIRT-S/adjustments", json={"delta": 1, "reason": "adjustment"}
        ).raise_for_status()
    wait_for(
        lambda: stack.tiktok.stock(shops.tiktok_sim_id)["SHIRT-S"]["available"] == 110,
        what="110 on TikTok",
    )
    wait_for(
        lambda: stack.shopee.stock(shops.shopee_sim_id)["SHIRT-S"]["available"] == 110,
        what="110 on Shopee",
    )
    made = _stock_update_calls(stack) - before
    # 100 changes across 2 shops; without coalescing that is 200 calls. The debounce merges a
    # burst into a handful per shop, each pushing the newest value.
    assert made <= 20, made


def _stock_update_calls(stack: Stack) -> int:
    total = 0
    for sim in (stack.shopee, stack.tiktok):
        for path, outcomes in sim.http.get("/_sim/calls").json().items():
            if "update_stock" in path or "inventory/update" in path:
                total += sum(outcomes.values())
    return total
