"""The order generator keeps its model of every shop's stock, and one change per SKU in flight."""

from __future__ import annotations

from typing import Any

from storesync.demo.clients import Refused
from storesync.demo.probe import PropagationTracker
from storesync.demo.shops import DemoShop
from storesync.demo.traffic import CANCELLED, OrderTraffic


class FakeSim:
    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.orders: list[tuple[str, dict[str, int], str | None]] = []
        self.moves: list[tuple[str, str]] = []

    def create_order(self, shop_id: str, lines: dict[str, int], status: str | None) -> str:
        if self.refuse:
            raise Refused("out of stock")
        self.orders.append((shop_id, dict(lines), status))
        return f"O{len(self.orders)}"

    def set_status(self, order_id: str, status: str) -> None:
        self.moves.append((order_id, status))


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _traffic(sim: Any, stock: dict[str, int]) -> tuple[OrderTraffic, PropagationTracker, Clock]:
    shops = [DemoShop(i, "tiktok", f"T{i}", sim, str(i), i + 1) for i in range(2)]
    tracker = PropagationTracker(shop_count=2)
    clock = Clock()
    item_of = {sku: sku.split("-")[0] for sku in stock}
    traffic = OrderTraffic(shops, stock, tracker, rate=1, item_of=item_of, seed=3, clock=clock)
    return traffic, tracker, clock


def test_an_order_lowers_the_model_and_starts_a_probe_per_sku() -> None:
    sim = FakeSim()
    stock = {"A-S": 5, "A-M": 5, "B": 5}
    traffic, tracker, _ = _traffic(sim, stock)
    traffic.place_order()
    ((_, lines, _),) = sim.orders
    assert all(stock[sku] == 5 - qty for sku, qty in lines.items())
    assert tracker.busy() == set(lines)
    assert traffic.counts.created == traffic.counts.stock_changes == 1


def test_a_refused_order_changes_nothing_and_is_counted() -> None:
    stock = {"A": 5}
    traffic, tracker, _ = _traffic(FakeSim(refuse=True), stock)
    traffic.place_order()
    assert (stock, tracker.busy(), traffic.counts.refused) == ({"A": 5}, set(), 1)


def test_skus_with_a_change_in_flight_or_too_little_stock_are_not_ordered() -> None:
    sim = FakeSim()
    stock = {"BUSY": 50, "EMPTY": 0, "FREE": 50}
    traffic, tracker, _ = _traffic(sim, stock)
    tracker.begin("BUSY", target=50, origin=0, started=0.0)
    for _ in range(5):
        traffic.place_order()
        tracker.cancel("FREE")
    assert {sku for _, lines, _ in sim.orders for sku in lines} == {"FREE"}


def test_a_cancellation_waits_for_its_sku_then_gives_the_units_back() -> None:
    sim = FakeSim()
    stock = {"A": 5}
    traffic, tracker, clock = _traffic(sim, stock)
    traffic.place_order()
    order = traffic._moves[0][2]
    order.steps = [CANCELLED]
    qty = order.lines["A"]
    clock.now += 10
    traffic._run_due_moves()  # the order's own probe is still in flight: not yet
    assert sim.moves == []
    tracker.cancel("A")
    clock.now += 1
    traffic._run_due_moves()
    assert sim.moves == [(order.order_id, CANCELLED)]
    assert stock["A"] == 5
    assert tracker.busy() == {"A"}
    assert (traffic.counts.cancelled, traffic.counts.stock_changes) == (1, 2)
    assert qty > 0
