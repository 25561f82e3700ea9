"""The whole demo scenario: start, open shops, run traffic, settle, summarise.

`DemoRun.run()` returns the summary the CLI prints (`--json`) and the benchmark extends. Progress
goes to an `on_update` callback (the live view), never to stdout.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storesync.demo.calls import CallCounts, count_calls
from storesync.demo.catalog import as_sim_products, seed_catalog, stock_by_sku
from storesync.demo.observe import Recorded, StoreSyncDb
from storesync.demo.probe import PropagationTracker, StockPoller
from storesync.demo.shops import DemoShop, open_shops
from storesync.demo.stack import SimLauncher, Stack, StackOptions, process_sim
from storesync.demo.stats import latency_summary
from storesync.demo.summary import build_summary, measure_drift
from storesync.demo.traffic import OrderTraffic
from storesync.testing.ports import port_in_use

SNAPSHOT_EVERY_S = 1.0


class DemoError(RuntimeError):
    """The demo could not run (port taken, a child failed); the message says what to do."""


@dataclass
class DemoOptions:
    duration_s: float | None = None  # None: until stop is set (Ctrl-C)
    rate: float = 2.0
    products: int = 100
    seed: int = 0
    port: int = 3000
    data_dir: Path | None = None
    settle_s: float = 15.0
    poll_hz: float = 20.0
    # 20-200 units per variant: at 2 orders/s for a minute no SKU comes near selling out, so an
    # order never races the last units across shops (which would be oversold, by design).
    min_stock: int = 20
    max_stock: int = 200
    sim_faults: dict[str, Any] | None = None  # a FaultProfile for both simulators' APIs
    sim_launcher: SimLauncher = process_sim
    worker_threads: int = 4
    server_env: dict[str, str] = field(default_factory=dict)  # more STORESYNC_* (the benchmark)


@dataclass
class Snapshot:
    """What the live view shows; refreshed about once a second."""

    phase: str = "starting"
    url: str = ""
    server_log: str = ""
    api_key_file: str = ""
    elapsed_s: float = 0.0
    shops: list[str] = field(default_factory=list)
    variants: int = 0
    created: int = 0
    refused: int = 0
    moves: int = 0
    cancelled: int = 0
    shipped: int = 0
    traffic_errors: int = 0
    recorded: Recorded = field(default_factory=Recorded)
    calls: CallCounts = field(default_factory=CallCounts)
    in_flight: int = 0
    propagation: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Running:
    """Everything alive while orders flow."""

    stack: Stack
    db: StoreSyncDb
    shops: list[DemoShop]
    traffic: OrderTraffic
    tracker: PropagationTracker
    poller: StockPoller
    setup_calls: CallCounts
    began: float = field(default_factory=time.monotonic)

    def calls(self) -> CallCounts:
        return count_calls(self.stack.sims.values()) - self.setup_calls

    def propagation(self) -> dict[str, Any]:
        return latency_summary(self.tracker.samples(), self.poller.resolution_ms())


class DemoRun:
    def __init__(
        self, options: DemoOptions, on_update: Callable[[Snapshot], None] | None = None
    ) -> None:
        self.options = options
        self.on_update = on_update or (lambda _: None)
        self.snapshot = Snapshot()
        self.stop = threading.Event()  # set it (Ctrl-C) to end the traffic early

    def run(self) -> dict[str, Any]:
        opts = self.options
        if port_in_use(opts.port):
            raise DemoError(f"port {opts.port} is already in use; pick another with --port")
        if opts.data_dir is not None and (opts.data_dir / "storesync.db").exists():
            raise DemoError(f"{opts.data_dir} already holds a database; the demo needs a fresh one")
        data_dir = opts.data_dir or Path(tempfile.mkdtemp(prefix="storesync-demo-"))
        stack = Stack(
            StackOptions(
                data_dir=data_dir,
                port=opts.port,
                worker_threads=opts.worker_threads,
                sim_launcher=opts.sim_launcher,
                server_env=opts.server_env,
            )
        )
        self._update(
            url=stack.url, server_log=str(stack.server_log), api_key_file=str(stack.key_file)
        )
        with stack:
            db = StoreSyncDb(stack.database_url)
            try:
                summary = self._scenario(stack, db)
            finally:
                db.close()
        return summary | {
            "url": stack.url,
            "data_dir": str(data_dir),
            "api_key_file": str(stack.key_file),
        }

    def _scenario(self, stack: Stack, db: StoreSyncDb) -> dict[str, Any]:
        opts = self.options
        catalog = seed_catalog(opts.products, opts.seed, opts.min_stock, opts.max_stock)
        expected = stock_by_sku(catalog)
        self._update(phase="connecting shops", variants=len(expected))
        shops = open_shops(stack.api, stack.sims, as_sim_products(catalog))
        self._update(shops=[s.name for s in shops])
        if opts.sim_faults is not None:
            for sim in stack.sims.values():
                sim.set_faults(opts.sim_faults)
        tracker = PropagationTracker(len(shops))
        item_of = {v.sku: product.name for product in catalog for v in product.variants}
        run = _Running(
            stack=stack,
            db=db,
            shops=shops,
            traffic=OrderTraffic(shops, expected, tracker, opts.rate, item_of, opts.seed),
            tracker=tracker,
            poller=StockPoller(
                tracker, lambda i: shops[i].sim.stock(shops[i].sim_shop_id), opts.poll_hz
            ),
            setup_calls=count_calls(stack.sims.values()),
        )
        run.poller.start()
        try:
            return self._orders_flowing(run) | {
                "rate": opts.rate,
                "products": opts.products,
                "variants": len(expected),
            }
        finally:
            run.poller.stop()

    def _orders_flowing(self, run: _Running) -> dict[str, Any]:
        run.traffic.start()
        self._update(phase="orders flowing")
        try:
            self._watch(run)
        finally:
            run.traffic.stop()
        self._update(phase="settling")
        settle_began = time.monotonic()
        drift = self._settle(run)
        settled_s = time.monotonic() - settle_began
        recorded = run.db.recorded()
        calls = run.calls()
        propagation = run.propagation() | {
            "unconverged": run.tracker.timeouts + run.tracker.in_flight()
        }
        ran_s = run.traffic.stopped_at - run.traffic.started_at
        summary = build_summary(
            run.traffic.counts,
            recorded,
            calls,
            run.setup_calls,
            propagation,
            drift,
            len(run.shops),
            ran_s,
        )
        self._update(phase="done", recorded=recorded, calls=calls)
        return summary | {"settle_s": round(settled_s, 1)}

    def _watch(self, run: _Running) -> None:
        duration_s = self.options.duration_s
        while not self.stop.is_set():
            elapsed = time.monotonic() - run.began
            if duration_s is not None and elapsed >= duration_s:
                return
            self._refresh(run)
            wait = SNAPSHOT_EVERY_S
            if duration_s is not None:
                wait = min(wait, max(0.0, duration_s - elapsed))
            self.stop.wait(wait)

    def _settle(self, run: _Running) -> int:
        """Wait (up to settle_s) until every order is imported, nothing is dirty and every shop
        shows the master's available; return the drift left at the end."""
        deadline = time.monotonic() + self.options.settle_s
        while True:
            recorded = self._refresh(run)
            drift = measure_drift(run.db, run.shops)
            settled = (
                recorded.orders == run.traffic.counts.created
                and recorded.dirty == 0
                and run.tracker.in_flight() == 0
                and drift == 0
            )
            if settled or time.monotonic() > deadline:
                return drift
            time.sleep(0.5)

    def _refresh(self, run: _Running) -> Recorded:
        recorded = run.db.recorded()
        counts = run.traffic.counts
        self._update(
            elapsed_s=time.monotonic() - run.began,
            created=counts.created,
            refused=counts.refused,
            moves=counts.moves,
            cancelled=counts.cancelled,
            shipped=counts.shipped,
            traffic_errors=counts.errors,
            recorded=recorded,
            calls=run.calls(),
            in_flight=run.tracker.in_flight(),
            propagation=run.propagation(),
        )
        return recorded

    def _update(self, **changes: Any) -> None:
        for key, value in changes.items():
            setattr(self.snapshot, key, value)
        self.on_update(self.snapshot)
