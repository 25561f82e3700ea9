"""Buyers and sellers: orders on the simulators at a steady rate, then ship / cancel / complete
moves a few seconds later, and restocking of SKUs that run low (through StoreSync's API, like a
warehouse person would). Everything it did is recorded for the invariant checks."""

from __future__ import annotations

import heapq
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import Engine, text

from bench.chaos.stack import ChaosStack, Shop

MOVES = {
    "shopee": {"ship": "SHIPPED", "cancel": "CANCELLED", "complete": "COMPLETED"},
    "tiktok": {"ship": "IN_TRANSIT", "cancel": "CANCELLED", "complete": "COMPLETED"},
}
INITIAL = {"shopee": "READY_TO_SHIP", "tiktok": "AWAITING_SHIPMENT"}
RESTOCK_BELOW = 4  # master available under this gets RESTOCK_UNITS more
RESTOCK_UNITS = 12


@dataclass
class PlacedOrder:
    platform: str
    shop_external_id: str
    order_id: str
    lines: dict[str, int]
    created_at: float  # unix seconds, our clock (the simulators share it)
    status: str
    moves: list[tuple[float, str]] = field(default_factory=list)


@dataclass
class TrafficStats:
    created: int = 0
    refused: int = 0  # the platform said "out of stock": it refused what we pushed as gone
    errors: int = 0  # control-API calls that failed (the order may or may not exist)
    moves: Counter[str] = field(default_factory=Counter)
    move_errors: int = 0
    restocks: int = 0
    restock_units: int = 0
    restock_errors: int = 0


class Traffic:
    def __init__(
        self,
        stack: ChaosStack,
        engine: Engine,
        skus: list[str],
        rate_per_s: float,
        seed: int,
    ) -> None:
        self.stack = stack
        self.engine = engine
        self.skus = skus
        self.rate = rate_per_s
        self.rate_factor = 1.0  # a webhook storm multiplies the order rate for a while
        self.rng = random.Random(seed)
        self.orders: list[PlacedOrder] = []
        self.stats = TrafficStats()
        self._due: list[tuple[float, int, int, str]] = []  # (when, seq, order index, move)
        self._seq = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="traffic", daemon=True)
        self._restocker = threading.Thread(target=self._restock_loop, name="restock", daemon=True)
        self._http = httpx.Client(timeout=15)

    def start(self) -> None:
        self._thread.start()
        self._restocker.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        self._restocker.join(timeout=30)
        self._http.close()

    # --- orders ------------------------------------------------------------------------------

    def _run(self) -> None:
        next_order = time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_order:
                self._place(self.rng.choice(self.stack.shops))
                # Exponential gaps: a Poisson stream of buyers, bursts included.
                next_order = now + self.rng.expovariate(self.rate * self.rate_factor)
            while self._due and self._due[0][0] <= now:
                _, _, index, move = heapq.heappop(self._due)
                self._move(index, move)
            self._stop.wait(min(0.05, max(0.0, next_order - time.monotonic())))

    def _place(self, shop: Shop) -> None:
        count = 1 if self.rng.random() < 0.8 else 2
        lines: dict[str, int] = {}
        for sku in self.rng.sample(self.skus, count):
            lines[sku] = self.rng.choices((1, 2, 3), weights=(70, 25, 5))[0]
        body = {
            "shop_id": shop.external_id,
            "lines": [{"sku": sku, "quantity": qty} for sku, qty in lines.items()],
        }
        try:
            answer = self._http.post(f"{self.stack.sim_urls[shop.platform]}/_sim/orders", json=body)
        except httpx.HTTPError:
            self.stats.errors += 1
            return
        if answer.status_code == 409:
            self.stats.refused += 1
            return
        if answer.status_code != 200:
            self.stats.errors += 1
            return
        order = PlacedOrder(
            shop.platform,
            shop.external_id,
            str(answer.json()["order_id"]),
            lines,
            time.time(),
            INITIAL[shop.platform],
        )
        self.orders.append(order)
        self.stats.created += 1
        index = len(self.orders) - 1
        roll = self.rng.random()
        if roll < 0.55:
            self._schedule(index, "ship", self.rng.uniform(2, 15))
        elif roll < 0.75:
            self._schedule(index, "cancel", self.rng.uniform(1, 12))

    def _schedule(self, index: int, move: str, after_s: float) -> None:
        self._seq += 1
        heapq.heappush(self._due, (time.monotonic() + after_s, self._seq, index, move))

    def _move(self, index: int, move: str) -> None:
        order = self.orders[index]
        status = MOVES[order.platform][move]
        url = f"{self.stack.sim_urls[order.platform]}/_sim/orders/{order.order_id}/status"
        try:
            answer = self._http.post(url, json={"status": status})
        except httpx.HTTPError:
            self.stats.move_errors += 1
            return
        if answer.status_code != 200:
            self.stats.move_errors += 1
            return
        order.status = status
        order.moves.append((time.time(), status))
        self.stats.moves[move] += 1
        if move == "ship" and self.rng.random() < 0.3:
            self._schedule(index, "complete", self.rng.uniform(2, 8))

    # --- restocking --------------------------------------------------------------------------

    def _restock_loop(self) -> None:
        while not self._stop.wait(3.0):
            try:
                low = self._low_skus()
            except Exception:  # noqa: S112 - the database may be restarting; next round
                continue
            for sku in low:
                self._restock(sku)

    def _low_skus(self) -> list[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT v.sku FROM variants v JOIN inventory_levels l ON l.variant_id = v.id "
                    "WHERE l.on_hand - l.reserved - l.safety < :low"
                ),
                {"low": RESTOCK_BELOW},
            )
            return [str(row[0]) for row in rows]

    def _restock(self, sku: str) -> None:
        body: dict[str, Any] = {"delta": RESTOCK_UNITS, "reason": "adjustment", "note": "chaos"}
        try:
            answer = self._http.post(
                f"{self.stack.url}/api/v1/inventory/{sku}/adjustments",
                json=body,
                headers=self.stack.api_headers,
            )
        except httpx.HTTPError:
            self.stats.restock_errors += 1
            return
        if answer.status_code == 200:
            self.stats.restocks += 1
            self.stats.restock_units += RESTOCK_UNITS
        else:
            self.stats.restock_errors += 1
