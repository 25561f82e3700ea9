"""Propagation probes: how long from an order on one shop until every OTHER shop shows that SKU's
new quantity, measured from the outside, the way a buyer would see it.

A probe starts just before the order (or cancellation) is sent to the simulator, with the
quantity every shop should show afterwards. A background poller reads `/_sim/stock` of the shops
still waiting; a shop counts as caught up at the first read that shows the target, and the probe
completes when the last one has. So a sample over-states the true latency by at most one polling
interval plus one read (reported as the resolution). The traffic generator never changes a SKU
that has a probe in flight, so each sample measures exactly one change.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

StockReader = Callable[[int], dict[str, int]]  # shop index -> {sku: available}


@dataclass
class Probe:
    sku: str
    target: int
    origin: int
    started: float
    waiting: set[int]
    seen_at: float = 0.0


@dataclass
class PropagationTracker:
    """Thread-safe: the traffic generator begins probes, the poller feeds observations."""

    shop_count: int
    timeout_s: float = 30.0
    samples_ms: list[float] = field(default_factory=list)
    timeouts: int = 0
    _probes: dict[str, Probe] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def begin(self, sku: str, target: int, origin: int, started: float) -> None:
        with self._lock:
            if sku in self._probes:
                raise ValueError(f"{sku} already has a probe in flight")
            waiting = set(range(self.shop_count)) - {origin}
            self._probes[sku] = Probe(sku, target, origin, started, waiting)

    def cancel(self, sku: str) -> None:
        """The change never happened (the simulator refused it)."""
        with self._lock:
            self._probes.pop(sku, None)

    def busy(self) -> set[str]:
        with self._lock:
            return set(self._probes)

    def in_flight(self) -> int:
        with self._lock:
            return len(self._probes)

    def shops_waited_on(self) -> set[int]:
        with self._lock:
            return {shop for probe in self._probes.values() for shop in probe.waiting}

    def observe(self, shop: int, stock: dict[str, int], seen_at: float) -> None:
        with self._lock:
            for sku, probe in list(self._probes.items()):
                if shop in probe.waiting and stock.get(sku) == probe.target:
                    probe.waiting.discard(shop)
                    probe.seen_at = max(probe.seen_at, seen_at)
                    if not probe.waiting:
                        self.samples_ms.append((probe.seen_at - probe.started) * 1000)
                        del self._probes[sku]

    def expire(self, now: float) -> list[Probe]:
        """Give up on probes older than the timeout (counted, and their SKUs freed)."""
        with self._lock:
            old = [p for p in self._probes.values() if now - p.started > self.timeout_s]
            for probe in old:
                del self._probes[probe.sku]
            self.timeouts += len(old)
            return old

    def samples(self) -> list[float]:
        with self._lock:
            return list(self.samples_ms)


class StockPoller:
    """Reads the stock of every shop a probe waits on, `hz` times a second, in a thread."""

    def __init__(
        self,
        tracker: PropagationTracker,
        read: StockReader,
        hz: float = 20.0,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self.tracker = tracker
        self.read = read
        self.interval_s = 1.0 / hz
        self.on_error = on_error
        self.rounds = 0
        self.busy_s = 0.0  # time spent reading, to report the real period between reads
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stock-poller", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def resolution_ms(self) -> float:
        """The mean time between two reads of one shop: a sample can over-state by that much."""
        mean_round = self.busy_s / self.rounds if self.rounds else 0.0
        return max(self.interval_s, mean_round) * 1000

    def _run(self) -> None:
        while not self._stop.is_set():
            began = time.monotonic()
            shops = sorted(self.tracker.shops_waited_on())
            if shops:
                self._round(shops)
                self.rounds += 1
                self.busy_s += time.monotonic() - began
            self.tracker.expire(time.monotonic())
            self._stop.wait(max(0.0, self.interval_s - (time.monotonic() - began)))

    def _round(self, shops: Sequence[int]) -> None:
        for shop in shops:
            try:
                stock = self.read(shop)
            except Exception as exc:  # a failed read only delays a sample; never kill the poller
                if self.on_error is not None:
                    self.on_error(exc)
                continue
            self.tracker.observe(shop, stock, time.monotonic())
