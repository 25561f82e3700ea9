"""Webhook health per shop, and fast polling while a shop's webhooks are quiet: with every push
dropped, orders still arrive by polling, the shop polls fast, and it returns to normal polling as
soon as a verified webhook arrives again."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import Stack, connect_two_shops, wait_for
from tests.e2e.shop_auth import shop_row


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    overrides = {"poll_interval_s": 6.0, "fast_poll_interval_s": 0.5, "webhook_quiet_s": 60.0}
    running = Stack(tmp_path, overrides=overrides).start()
    yield running
    running.stop()


def _polls(stack: Stack, shop_id: int) -> int:
    jobs = stack.api.get("/api/v1/jobs", params={"kind": "orders", "shop_id": shop_id}).json()
    return sum(1 for job in jobs if job["status"] in {"succeeded", "partial"})


def _orders(stack: Stack, shop_id: int) -> int:
    return len(stack.api.get("/api/v1/orders", params={"shop_id": shop_id}).json())


def test_polling_goes_fast_while_webhooks_are_dropped_and_back_when_they_return(
    stack: Stack,
) -> None:
    shops = connect_two_shops(stack)
    shop_id = shops.tiktok["id"]
    stack.tiktok.http.put("/_sim/faults", json={"webhooks": {"drop": 1.0}}).raise_for_status()
    stack.tiktok.post(
        "/_sim/orders",
        {"shop_id": shops.tiktok_sim_id, "lines": [{"sku": "SHIRT-M", "quantity": 1}]},
    )

    wait_for(lambda: _orders(stack, shop_id) == 1, timeout_s=20, what="the poll to import it")
    wait_for(lambda: shop_row(stack, shop_id)["poll_mode"] == "fast", what="fast polling")
    health = stack.api.get("/api/health").json()["components"]["webhooks"]
    assert health["status"] == "degraded"
    assert health["fast_polling_shops"] == [shop_id]
    assert shop_row(stack, shops.shopee["id"])["poll_mode"] == "normal"  # only the quiet shop

    # Normal polling is every 6 s; fast polling makes several polls inside one such interval.
    start = _polls(stack, shop_id)
    wait_for(lambda: _polls(stack, shop_id) >= start + 3, timeout_s=5.5, what="three fast polls")

    # A forged push naming the shop changes nothing about it: the name is unverified.
    before = shop_row(stack, shop_id)
    forged = json.dumps({"type": 1, "shop_id": shops.tiktok_sim_id, "data": {}}).encode()
    rejected = stack.api.post("/webhooks/tiktok", content=forged, headers={"Authorization": "x"})
    assert rejected.status_code == 401
    after = shop_row(stack, shop_id)
    assert (after["webhook_failures"], after["poll_mode"]) == (
        before["webhook_failures"],
        before["poll_mode"],
    )

    stack.tiktok.http.put("/_sim/faults", json={}).raise_for_status()
    stack.tiktok.post(
        "/_sim/orders",
        {"shop_id": shops.tiktok_sim_id, "lines": [{"sku": "TOTE", "quantity": 1}]},
    )
    wait_for(lambda: shop_row(stack, shop_id)["poll_mode"] == "normal", what="normal polling")
    row = shop_row(stack, shop_id)
    assert row["webhook_failures"] == 0
    assert row["last_webhook_at"] is not None
    wait_for(lambda: _orders(stack, shop_id) == 2, what="the second order")
    assert stack.api.get("/api/health").json()["components"]["webhooks"]["status"] == "ok"
    # Back on the normal interval: at most one more poll in the next few seconds.
    settled = _polls(stack, shop_id)
    time.sleep(3)
    assert _polls(stack, shop_id) <= settled + 1
