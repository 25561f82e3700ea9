"""The periodic driver: sweeps, order polling per shop. One per deployment (embedded: a thread in
`serve`; scaled out: `storesync scheduler`), it only enqueues, so it never blocks on platforms."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storesync.db.base import utcnow
from storesync.db.engine import unit_of_work
from storesync.db.models import Shop
from storesync.worker import gauges
from storesync.worker.jobs import Jobs

log = structlog.get_logger(__name__)

# Sent on every sweep: durable work (dirty listings, stored webhooks) that a lost message left.
SWEEPS = ("listing.sweep_dirty", "webhook.sweep")


def poll_key(shop_id: int) -> str:
    """Held while a shop's poll is queued: the scheduler never stacks two."""
    return f"poll:{shop_id}"


@dataclass(frozen=True)
class Schedule:
    sweep_interval_s: float = 5.0
    poll_interval_s: float = 60.0
    # "fast": webhooks went quiet while orders changed (webhook/health.py); never slower.
    fast_poll_interval_s: float = 10.0
    reconcile_interval_s: float = 3600.0  # 0 turns the scheduled pass off
    token_check_interval_s: float = 300.0
    retention_interval_s: float = 86_400.0  # retention.prune; 0 turns it off


@dataclass
class Scheduler:
    db: sessionmaker[Session]
    jobs: Jobs
    schedule: Schedule = field(default_factory=Schedule)
    clock: Callable[[], float] = time.monotonic
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _last_poll: dict[int, float] = field(default_factory=dict)
    _last_sweep: float | None = None
    _last_reconcile: float | None = None
    _last_token_check: float | None = None
    _last_retention: float | None = None
    _last_gauges: float | None = None

    def tick(self) -> None:
        now = self.clock()
        every = self.schedule
        if _due(self._last_sweep, now, every.sweep_interval_s):
            self._last_sweep = now
            for name in SWEEPS:
                self.jobs.send(name)
        # Hourly by default, first one at start: a restart must not push the next pass back.
        if every.reconcile_interval_s > 0 and _due(
            self._last_reconcile, now, every.reconcile_interval_s
        ):
            self._last_reconcile = now
            self.jobs.send("reconcile.run")
        if _due(self._last_token_check, now, every.token_check_interval_s):
            self._last_token_check = now
            self.jobs.send("shop.refresh_due_tokens")
        # Daily, first one at start like reconcile: a process restarted more often than daily
        # would otherwise never prune.
        if every.retention_interval_s > 0 and _due(
            self._last_retention, now, every.retention_interval_s
        ):
            self._last_retention = now
            self.jobs.send("retention.prune")
        self._poll_shops(now)
        # Last: a failed reading must not hold up the sends above (run_forever logs it).
        if _due(self._last_gauges, now, every.sweep_interval_s):
            self._last_gauges = now
            with unit_of_work(self.db) as session:
                gauges.GAUGES.publish(gauges.read(session, utcnow()))

    def _poll_shops(self, now: float) -> None:
        with unit_of_work(self.db) as session:
            shops = list(
                session.execute(select(Shop.id, Shop.poll_mode).where(Shop.status == "active"))
            )
        fast_every = min(self.schedule.fast_poll_interval_s, self.schedule.poll_interval_s)
        for shop_id, poll_mode in shops:
            every = fast_every if poll_mode == "fast" else self.schedule.poll_interval_s
            if _due(self._last_poll.get(shop_id), now, every):
                self._last_poll[shop_id] = now
                self.jobs.send_coalesced(
                    poll_key(shop_id), "order.poll", delay_ms=0, shop_id=shop_id
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


def _due(last: float | None, now: float, every: float) -> bool:
    return last is None or now - last >= every
