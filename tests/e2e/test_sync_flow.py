"""The product's promise end to end: a sale on one shop shows on every other shop in seconds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import Stack, wait_for

CATALOG = [
    {
        "name": "Linen shirt",
        "variants": [
            {"sku": "SHIRT-S", "price": "19.90", "stock": 10},
            {"sku": "SHIRT-M", "price": "19.90", "stock": 5},
        ],
    },
    {"name": "Canvas tote", "variants": [{"sku": "TOTE", "price": "9.50", "stock": 3}]},
]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    running = Stack(tmp_path).start()
    yield running
    running.stop()


def test_an_order_on_shopee_updates_tiktok_within_seconds(stack: Stack) -> None:
    shopee_shop = stack.connect(stack.shopee, "Shopee One")
    stack.shopee.post(
        "/_sim/products", {"shop_id": shopee_shop["sim"]["shop_id"], "products": CATALOG}
    )
    tiktok_shop = stack.connect(stack.tiktok, "TikTok One")
    stack.tiktok.post(
        "/_sim/products", {"shop_id": tiktok_shop["sim"]["shop_id"], "products": CATALOG}
    )
    # Connecting enqueued an import before the products existed; import again now.
    for shop in (shopee_shop, tiktok_shop):
        assert stack.api.post(f"/api/v1/shops/{shop['id']}/import").status_code == 202
    stack.wait_jobs_done("import", 4)
    assert stack.api.get("/api/v1/inventory/SHIRT-S").json()["on_hand"] == 10

    order = stack.shopee.post(
        "/_sim/orders",
        {"shop_id": shopee_shop["sim"]["shop_id"], "lines": [{"sku": "SHIRT-S", "quantity": 3}]},
    )
    tiktok_id = tiktok_shop["sim"]["shop_id"]
    wait_for(
        lambda: stack.tiktok.stock(tiktok_id)["SHIRT-S"]["available"] == 7,
        timeout_s=10,
        what="TikTok to show 7 SHIRT-S after a Shopee sale of 3",
    )
    inventory = stack.api.get("/api/v1/inventory/SHIRT-S").json()
    assert (inventory["on_hand"], inventory["reserved"], inventory["available"]) == (10, 3, 7)
    orders = stack.api.get("/api/v1/orders").json()
    assert [o["external_id"] for o in orders] == [str(order["order_id"])]
