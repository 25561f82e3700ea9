"""The buyers: orders on random shops at a steady rate, and each order's later life.

Orders start paid (most) or unpaid; later they are paid, shipped and completed, or cancelled
(Shopee sometimes through IN_CANCEL), so every branch of the status machine runs. Moves happen
1.2 s or more apart because TikTok's `update_time` has one-second resolution and a real order
does not ship within the second it was placed.

The generator keeps the model of what every shop should show (`expected`), orders only what that
model says is available, and never changes a SKU that still has a propagation probe in flight.
"""

from __future__ import annotations

import heapq
import itertools
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from storesync.demo.clients import Refused
from storesync.demo.probe import PropagationTracker
from storesync.demo.shops import DemoShop

# Per platform: the status a new order gets, the next statuses of a shipped life and of a
# cancelled one. All names are the platforms' own.
PAID = {"shopee": "READY_TO_SHIP", "tiktok": "AWAITING_SHIPMENT"}
SHIP_PATH = {
    "shopee": ("SHIPPED", "TO_CONFIRM_RECEIVE", "COMPLETED"),
    "tiktok": ("AWAITING_COLLECTION", "IN_TRANSIT", "DELIVERED", "COMPLETED"),
}
CANCELLED = "CANCELLED"
UNPAID_SHARE = 0.2
CANCEL_SHARE = 0.15
MIN_GAP_S, MAX_GAP_S = 1.2, 4.0
BUSY_RETRY_S = 0.3  # a move that would change a SKU with a probe in flight waits this long


@dataclass
class TrafficCounts:
    created: int = 0
    refused: int = 0
    moves: int = 0
    moves_refused: int = 0
    cancelled: int = 0
    shipped: int = 0
    errors: int = 0
    # Stock changes the other shops must learn about (orders that hold stock, cancellations that
    # give it back) and, summed over them, the distinct platform items each touched.
    stock_changes: int = 0
    changed_items: int = 0
    by_shop: Counter[str] = field(default_factory=Counter)


@dataclass
class _Order:
    shop: DemoShop
    order_id: str
    lines: dict[str, int]
    steps: list[str]  # statuses still to come, in order
    holding: bool = True  # reserves stock on the platform (not shipped, not cancelled)


class OrderTraffic:
    def __init__(
        self,
        shops: Sequence[DemoShop],
        expected: dict[str, int],
        tracker: PropagationTracker,
        rate: float,
        item_of: dict[str, str],
        seed: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.shops = list(shops)
        self.item_of = item_of  # SKU -> its product: both platforms' update calls are per item
        self.expected = expected
        self.tracker = tracker
        self.rate = rate
        self.rng = random.Random(seed)
        self.clock = clock
        self.counts = TrafficCounts()
        self._moves: list[tuple[float, int, _Order]] = []
        self._seq = itertools.count()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.started_at = 0.0
        self.stopped_at = 0.0

    # -- running -------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="order-traffic", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        self.started_at = self.clock()
        placed = 0
        while not self._stop.is_set():
            # A fixed schedule, not "sleep 1/rate after each": slow calls must not lower the rate.
            due = self.started_at + placed / self.rate
            while not self._stop.is_set() and self.clock() < due:
                self._run_due_moves()
                self._stop.wait(min(0.02, max(0.0, due - self.clock())))
            if self._stop.is_set():
                break
            self._guarded(self.place_order)
            placed += 1
        self.stopped_at = self.clock()

    def _guarded(self, action: Callable[[], None]) -> None:
        try:
            action()
        except Exception:  # a simulator hiccup must not end the demo; it is counted
            self.counts.errors += 1

    # -- orders --------------------------------------------------------------------------------

    def place_order(self) -> None:
        shop = self.rng.choice(self.shops)
        lines = self._pick_lines()
        if not lines:
            return
        unpaid = self.rng.random() < UNPAID_SHARE
        status = "UNPAID" if unpaid else PAID[shop.platform]
        started = self.clock()
        for sku, qty in lines.items():
            self.expected[sku] -= qty
            self.tracker.begin(sku, self.expected[sku], shop.index, started)
        try:
            order_id = shop.sim.create_order(shop.sim_shop_id, lines, status)
        except Exception as exc:
            for sku, qty in lines.items():
                self.expected[sku] += qty
                self.tracker.cancel(sku)
            if isinstance(exc, Refused):
                self.counts.refused += 1
                return
            raise
        self.counts.created += 1
        self.counts.by_shop[shop.name] += 1
        self._count_change(lines)
        order = _Order(shop, order_id, lines, self._life(shop.platform, unpaid))
        self._schedule(order)

    def _count_change(self, lines: dict[str, int]) -> None:
        self.counts.stock_changes += 1
        self.counts.changed_items += len({self.item_of[sku] for sku in lines})

    def _pick_lines(self) -> dict[str, int]:
        busy = self.tracker.busy()
        lines: dict[str, int] = {}
        wanted = 1 if self.rng.random() < 0.85 else 2
        for _ in range(20):  # a few tries: nearly every SKU is free at sane rates
            if len(lines) == wanted:
                break
            sku = self.rng.choice(list(self.expected))
            qty = self.rng.choices((1, 2, 3), weights=(70, 20, 10))[0]
            if sku not in busy and sku not in lines and self.expected[sku] >= qty:
                lines[sku] = qty
        return lines

    def _life(self, platform: str, unpaid: bool) -> list[str]:
        first = [PAID[platform]] if unpaid else []
        if self.rng.random() < CANCEL_SHARE:
            if platform == "shopee" and not unpaid and self.rng.random() < 0.5:
                return ["IN_CANCEL", CANCELLED]  # the buyer asks, the seller accepts
            return [CANCELLED]
        return [*first, *SHIP_PATH[platform]]

    # -- later moves ---------------------------------------------------------------------------

    def _schedule(self, order: _Order, delay_s: float | None = None) -> None:
        if not order.steps:
            return
        delay = delay_s if delay_s is not None else self.rng.uniform(MIN_GAP_S, MAX_GAP_S)
        heapq.heappush(self._moves, (self.clock() + delay, next(self._seq), order))

    def _run_due_moves(self) -> None:
        while self._moves and self._moves[0][0] <= self.clock() and not self._stop.is_set():
            _, _, order = heapq.heappop(self._moves)
            self._guarded(lambda order=order: self._move(order))  # type: ignore[misc]

    def _move(self, order: _Order) -> None:
        status = order.steps[0]
        releases = status == CANCELLED and order.holding
        busy = self.tracker.busy()
        if releases and busy & set(order.lines):
            # Cancelling gives units back: one change per SKU in flight, so wait our turn.
            # (At least MIN_GAP_S after the last move is kept: we only ever add delay.)
            self._schedule(order, BUSY_RETRY_S)
            return
        started = self.clock()
        if releases:
            for sku, qty in order.lines.items():
                self.expected[sku] += qty
                self.tracker.begin(sku, self.expected[sku], order.shop.index, started)
        try:
            order.shop.sim.set_status(order.order_id, status)
        except Exception as exc:
            if releases:
                for sku, qty in order.lines.items():
                    self.expected[sku] -= qty
                    self.tracker.cancel(sku)
            if isinstance(exc, Refused):
                self.counts.moves_refused += 1
                return
            raise
        self.counts.moves += 1
        order.steps.pop(0)
        if releases:
            self._count_change(order.lines)
        if status == CANCELLED:
            self.counts.cancelled += 1
            order.holding = False
        elif status in ("SHIPPED", "IN_TRANSIT"):
            self.counts.shipped += 1
            order.holding = False
        self._schedule(order)
