"""The product's promise end to end: a sale on one shop shows on every other shop in seconds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import Stack, connect_two_shops, wait_for


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    running = Stack(tmp_path).start()
    yield running
    running.stop()


def test_an_order_on_shopee_updates_tiktok_within_seconds(stack: Stack) -> None:
    shops = connect_two_shops(stack)
    assert stack.api.get("/api/v1/inventory/SHIRT-S").json()["on_hand"] == 10

    order = stack.shopee.post(
        "/_sim/orders",
        {"shop_id": shops.shopee_sim_id, "lines": [{"sku": "SHIRT-S", "quantity": 3}]},
    )
    wait_for(
        lambda: stack.tiktok.stock(shops.tiktok_sim_id)["SHIRT-S"]["available"] == 7,
        timeout_s=10,
        what="TikTok to show 7 SHIRT-S after a Shopee sale of 3",
    )
    inventory = stack.api.get("/api/v1/inventory/SHIRT-S").json()
    assert (inventory["on_hand"], inventory["reserved"], inventory["available"]) == (10, 3, 7)
    orders = stack.api.get("/api/v1/orders").json()
    assert [o["external_id"] for o in orders] == [str(order["order_id"])]


def test_shipping_and_cancelling_move_stock_on_every_shop(stack: Stack) -> None:
    shops = connect_two_shops(stack)
    shipped = stack.tiktok.post(
        "/_sim/orders", {"shop_id": shops.tiktok_sim_id, "lines": [{"sku": "TOTE", "quantity": 2}]}
    )
    cancelled = stack.shopee.post(
        "/_sim/orders", {"shop_id": shops.shopee_sim_id, "lines": [{"sku": "TOTE", "quantity": 1}]}
    )
    stack.tiktok.post(f"/_sim/orders/{shipped['order_id']}/status", {"status": "IN_TRANSIT"})
    stack.shopee.post(f"/_sim/orders/{cancelled['order_id']}/status", {"status": "CANCELLED"})

    def settled() -> bool:
        tote = stack.api.get("/api/v1/inventory/TOTE").json()
        return (tote["on_hand"], tote["reserved"]) == (1, 0)

    wait_for(settled, what="TOTE: 2 shipped, 1 cancelled")
    wait_for(lambda: stack.shopee.stock(shops.shopee_sim_id)["TOTE"]["available"] == 1)
    ledger = stack.api.get("/api/v1/inventory/TOTE/ledger").json()
    assert sum(entry["delta"] for entry in ledger) == 1
    assert {entry["reason"] for entry in ledger} == {"initial", "order_shipped"}
