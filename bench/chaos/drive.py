"""The drive: orders flow while the fault timeline plays, each fault at its share of the drive
(phases of platform faults, a revoked token, a SIGKILLed worker, a 5xx burst, PostgreSQL and
Redis restarts). A short run still performs every fault, and kinds the traffic has not drawn by
`TOP_UP_AT` are injected more often until each has happened (bounded)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine, text

from bench.chaos.faults import FaultController
from bench.chaos.journal import Journal
from bench.chaos.services import restart_postgres, restart_redis
from bench.chaos.stack import ChaosStack, Shop
from bench.chaos.traffic import Traffic

PLATFORM_FAULTS = ("5xx", "429", "timeout", "reset")
WEBHOOK_FAULTS = ("webhook_drop", "webhook_duplicate", "webhook_delay", "webhook_reorder")
# A 5xx burst on one platform. The breakers judge a 60 s window, so the burst must outweigh the
# healthy calls before it: a quarter of the drive, 12..45 s (90 % failures for 45 s after 15 s
# of health is ~ 67 % over the window, past the 50 % threshold).
BURST_AT, BURST_PLATFORM = 0.50, "tiktok"
TOP_UP_AT = 0.85  # share of the drive after which kinds not drawn yet are injected more often
TOP_UP_MAX_S = 20.0


def burst_seconds(drive_s: float) -> float:
    return min(45.0, max(12.0, drive_s / 4))


def timeline(drive_s: float, restart_services: bool) -> list[tuple[float, str]]:
    """(share of the drive, event), in order."""
    events = [
        (0.0, "phase:0"),
        (0.25, "phase:1"),
        (0.35, "revoke_token"),
        (0.45, "kill_worker"),
        (0.50, "phase:2"),
        (BURST_AT, "burst_start"),
        (BURST_AT + burst_seconds(drive_s) / drive_s, "burst_end"),
        (0.75, "phase:3"),
    ]
    if restart_services:
        events += [(0.18, "restart_postgres"), (0.62, "restart_redis")]
    return sorted(events)


@dataclass
class Drive:
    stack: ChaosStack
    engine: Engine
    faults: FaultController
    traffic: Traffic
    journal: Journal
    restart_services: bool
    reclaim_redis: Callable[[], None]  # a Redis restart drops the run's claim on its DB
    drive_s: float = 0.0
    performed: dict[str, int] = field(default_factory=dict)  # the run's own faults, by kind
    revoked: tuple[Shop, str] | None = None  # the shop and the access token revoked

    def run(self, drive_s: float) -> None:
        self.drive_s = drive_s
        pending = timeline(drive_s, self.restart_services)
        start = time.monotonic()
        self.traffic.start()
        topped_up = False
        while (elapsed := time.monotonic() - start) < drive_s:
            while pending and pending[0][0] * drive_s <= elapsed:
                self.perform(pending.pop(0)[1])
            if not topped_up and elapsed >= TOP_UP_AT * drive_s:
                topped_up = self._top_up()
            self.journal.watch(self.stack.procs)
            time.sleep(0.2)
        for _, name in pending:  # a very short run still performs every fault
            self.perform(name)
        # The kinds a short run may not have drawn yet get a bounded extra stretch.
        deadline = time.monotonic() + TOP_UP_MAX_S
        while self._missing_kinds() and time.monotonic() < deadline:
            self.journal.watch(self.stack.procs)
            time.sleep(0.5)

    def _missing_kinds(self) -> list[str]:
        injected = self.faults.peek()
        return [kind for kind in PLATFORM_FAULTS if injected.get(kind, 0) < 1]

    def _top_up(self) -> bool:
        missing = self._missing_kinds()
        if missing:
            self.faults.top_up(missing)
            self.journal.note("fault_top_up", kinds=missing)
        return True

    # --- the events --------------------------------------------------------------------------

    def perform(self, name: str) -> None:
        if name.startswith("phase:"):
            self._phase(int(name.split(":")[1]))
            return
        actions: dict[str, Callable[[], None]] = {
            "revoke_token": self._revoke_token,
            "kill_worker": self._kill_worker,
            "burst_start": self._burst_start,
            "burst_end": self._burst_end,
            "restart_postgres": self._restart_postgres,
            "restart_redis": self._restart_redis,
        }
        actions[name]()

    def _phase(self, phase: int) -> None:
        self.faults.set_phase(phase)
        self.journal.note("fault_phase", phase=phase)

    def _revoke_token(self) -> None:
        shop = next(s for s in self.stack.shops if s.platform == "shopee")
        token = self._access_token(shop)
        self.faults.revoke(shop.platform, token)
        self.revoked = (shop, token)
        self._count("revoked_token")
        self.journal.note("token_revoked", shop_id=shop.id, platform=shop.platform)

    def _kill_worker(self) -> None:
        self.stack.procs.kill("worker-1")
        self._count("worker_sigkill")
        self.journal.note("worker_killed", worker="worker-1")
        time.sleep(3)
        self.stack.start_worker("worker-1")
        self.journal.note("worker_restarted", worker="worker-1")

    def _burst_start(self) -> None:
        self.faults.burst(BURST_PLATFORM)
        seconds = burst_seconds(self.drive_s)
        self.journal.note("burst_started", platform=BURST_PLATFORM, seconds=seconds)

    def _burst_end(self) -> None:
        self.faults.restore(BURST_PLATFORM)
        self.journal.note("burst_ended", platform=BURST_PLATFORM)

    def _restart_postgres(self) -> None:
        down = restart_postgres()
        self._count("postgres_restart")
        self.journal.note("postgres_restarted", seconds=round(down, 1))

    def _restart_redis(self) -> None:
        down = restart_redis()
        self.reclaim_redis()
        self._count("redis_restart")
        self.journal.note("redis_restarted", seconds=round(down, 1))

    def _count(self, kind: str) -> None:
        self.performed[kind] = self.performed.get(kind, 0) + 1

    def _access_token(self, shop: Shop) -> str:
        from cryptography.fernet import Fernet

        with self.engine.connect() as conn:
            enc = conn.execute(
                text("SELECT access_token_enc FROM shops WHERE id = :id"), {"id": shop.id}
            ).scalar_one()
        return Fernet(self.stack.secret_key.encode()).decrypt(enc.encode()).decode()
