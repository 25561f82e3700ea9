"""The periodic driver: sweeps, order polling per shop. One per deployment (embedded: a thread in
`serve`; scaled out: `storesync scheduler`), it only enqueues, so it never blocks on platforms."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog
from sqlalchemy import select

from storesync.db.engine import unit_of_work
from storesync.db.models import Shop

log = structlog.get_logger(__name__)


@dataclass
class Schedule:
    sweep_interval_s: float = 5.0
    poll_interval_s: float = 60.0


@dataclass
class Scheduler:
    container: object
    schedule: Schedule = field(default_factory=Schedule)
    clock: Callable[[], float] = time.monotonic
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _last_poll: dict[int, float] = field(default_factory=dict)
    _last_sweep: float = 0.0
    _last_reconcile: float | None = None
    _last_token_check: float | None = None

    def tick(self) -> None:
        from storesync.bootstrap import Container

        container = self.container
        assert isinstance(container, Container)
        now = self.clock()
        if now - self._last_sweep >= self.schedule.sweep_interval_s:
            self._last_sweep = now
            container.jobs.send("sweep_dirty")
        # Hourly by default, first one at start: a restart must not push the next pass back.
        reconcile_every = container.settings.reconcile_interval_s
        if reconcile_every > 0 and (
            self._last_reconcile is None or now - self._last_reconcile >= reconcile_every
        ):
            self._last_reconcile = now
            container.jobs.send("reconcile")
        token_every = container.settings.token_check_interval_s
        if self._last_token_check is None or now - self._last_token_check >= token_every:
            self._last_token_check = now
            container.jobs.send("refresh_due_tokens")
        with unit_of_work(container.session_factory) as session:
            shops = list(
                session.execute(select(Shop.id, Shop.poll_mode).where(Shop.status == "active"))
            )
        # "fast": webhooks went quiet while orders changed (webhook/health.py); never slower.
        fast_every = min(container.settings.fast_poll_interval_s, self.schedule.poll_interval_s)
        for shop_id, poll_mode in shops:
            every = fast_every if poll_mode == "fast" else self.schedule.poll_interval_s
            if now - self._last_poll.get(shop_id, -1e9) >= every:
                self._last_poll[shop_id] = now
                container.jobs.send_coalesced(
                    f"poll:{shop_id}", "poll_orders", delay_ms=0, shop_id=shop_id
                )

    def run_forever(self, tick_s: float = 1.0) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                # The scheduler must outlive a database blip; the next tick tries again.
                log.exception("scheduler_tick_failed")
            self._stop.wait(tick_s)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run_forever, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
