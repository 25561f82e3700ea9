"""A burst of order webhooks for one shop is fetched in batches: far fewer detail calls than
webhooks, every order still imported once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import ColumnElement, func, select

from storesync.db.engine import unit_of_work
from storesync.db.models import Order, WebhookEvent
from tests.e2e.harness import Stack, connect_two_shops, wait_for

DETAIL = "/api/v2/order/get_order_detail"
BURST = 20
CATALOG = [{"name": "Sock", "variants": [{"sku": "SOCK", "price": "2.00", "stock": 100}]}]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    # Hourly polls: the detail calls counted are then the webhooks' own. A breaker that never
    # opens here: how many calls fail before the fault is lifted depends on the machine's speed,
    # and an opened breaker would park the retries for its 30 s cool-down (breakers have tests
    # of their own; this file is about batching and the hand-over to per-event retries).
    overrides = {"poll_interval_s": 3600.0, "breaker_min_calls": 100_000}
    running = Stack(tmp_path, overrides=overrides).start()
    yield running
    running.stop()


def _detail_calls(stack: Stack) -> int:
    calls = stack.shopee.http.get("/_sim/calls").json()
    return sum(calls.get(DETAIL, {}).values())


def _count(stack: Stack, *where: ColumnElement[bool]) -> int:
    with unit_of_work(stack.container.session_factory) as session:
        query = select(func.count()).select_from(Order).where(*where)
        return int(session.scalar(query) or 0)


def _unprocessed(stack: Stack) -> int:
    with unit_of_work(stack.container.session_factory) as session:
        query = (
            select(func.count())
            .select_from(WebhookEvent)
            .where(WebhookEvent.platform == "shopee", WebhookEvent.status != "processed")
        )
        return int(session.scalar(query) or 0)


def test_a_burst_of_webhooks_for_one_shop_shares_order_detail_calls(stack: Stack) -> None:
    shops = connect_two_shops(stack, catalog=CATALOG)
    # Every push held back 1 s, so the burst reaches StoreSync together, as under load.
    stack.shopee.http.put(
        "/_sim/faults", json={"seed": 1, "webhooks": {"delay": 1.0, "delay_seconds": 1.0}}
    ).raise_for_status()
    before = _detail_calls(stack)
    created = [
        str(
            stack.shopee.post(
                "/_sim/orders",
                {"shop_id": shops.shopee_sim_id, "lines": [{"sku": "SOCK", "quantity": 1}]},
            )["order_id"]
        )
        for _ in range(BURST)
    ]
    wait_for(
        lambda: _count(stack, Order.external_id.in_(created)) == BURST and _unprocessed(stack) == 0,
        timeout_s=20,
        what=f"{BURST} orders imported and their webhooks processed",
    )
    calls = _detail_calls(stack) - before
    assert calls <= BURST // 4, f"{calls} detail calls for {BURST} webhooks"
    assert _count(stack, Order.external_id.in_(created)) == BURST  # once each, none twice
    inventory = stack.api.get("/api/v1/inventory/SOCK").json()
    assert inventory["reserved"] == BURST


def _statuses(stack: Stack) -> set[str]:
    with unit_of_work(stack.container.session_factory) as session:
        query = select(WebhookEvent.status).where(WebhookEvent.platform == "shopee").distinct()
        return set(session.scalars(query))


def test_a_batch_whose_detail_call_fails_hands_its_events_to_per_event_retries(
    stack: Stack,
) -> None:
    shops = connect_two_shops(stack, catalog=CATALOG)
    stack.shopee.http.put(
        "/_sim/faults", json={"seed": 2, "families": {"order": {"error_rate": 1.0}}}
    ).raise_for_status()
    created = [
        str(
            stack.shopee.post(
                "/_sim/orders",
                {"shop_id": shops.shopee_sim_id, "lines": [{"sku": "SOCK", "quantity": 1}]},
            )["order_id"]
        )
        for _ in range(3)
    ]
    wait_for(lambda: "failed" in _statuses(stack), timeout_s=10, what="the batch to fail")
    stack.shopee.http.put("/_sim/faults", json={"seed": 2}).raise_for_status()
    wait_for(
        lambda: _count(stack, Order.external_id.in_(created)) == 3 and _unprocessed(stack) == 0,
        timeout_s=25,
        what="the queue retries to import every order",
    )
