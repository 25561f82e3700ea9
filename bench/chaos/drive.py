"""The drive: orders flow while the fault timeline plays, each fault at its share of the drive
(phases of platform faults, a revoked token, a 5xx burst; scaled out: a SIGKILLed worker,
PostgreSQL slowed, the workers cut off from it, its connection slots full, duplicated job
deliveries, a webhook storm, PostgreSQL and Redis restarts; embedded: `storesync serve` itself
SIGKILLed and restarted). A short run still performs every fault, and kinds the traffic has not
drawn by `TOP_UP_AT` are injected more often until each has happened (bounded)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine, text

from bench.chaos import jobdup
from bench.chaos.faults import FaultController
from bench.chaos.journal import Journal
from bench.chaos.pgproxy import PgProxy
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


PG_LATENCY_MS = 50  # each way, while PostgreSQL is slowed
STORM_FACTOR = 10.0  # the order rate during the webhook storm
SERVE_DOWN_S = 2.0  # embedded: how long `storesync serve` stays dead after its SIGKILL
EXHAUSTED_AFTER_RESTART_S = 5.0  # PostgreSQL's slots stay full this long after worker-1 restarts
SHORT_DRIVE_S = 90.0  # a drive shorter than this is "short" (the test suite's runs)
# Duplicated job deliveries: this share of the drive, and up to this long more until one copy.
DUP_START, DUP_END = 0.52, 0.61
DUP_GRACE_S = 5.0


def burst_seconds(drive_s: float) -> float:
    return min(45.0, max(12.0, drive_s / 4))


def cut_seconds(drive_s: float) -> float:
    """The workers' PostgreSQL link is cut this long (20 s; shorter in a short run)."""
    return min(20.0, max(5.0, drive_s / 6))


def storm_seconds(drive_s: float) -> float:
    return min(30.0, max(3.0, drive_s / 5 if drive_s >= SHORT_DRIVE_S else drive_s / 10))


def storm_at(drive_s: float) -> float:
    """After the burst in a full run; in a short one the burst lasts to 90 % of the drive, and a
    storm's orders piling up behind an open breaker would only make the run longer."""
    return 0.78 if drive_s >= SHORT_DRIVE_S else 0.10


def timeline(
    drive_s: float, restart_services: bool, mode: str = "scaled"
) -> list[tuple[float, str]]:
    """(share of the drive, event), in order."""
    events = [
        (0.0, "phase:0"),
        (0.25, "phase:1"),
        (0.35, "revoke_token"),
        (0.50, "phase:2"),
        (BURST_AT, "burst_start"),
        (BURST_AT + burst_seconds(drive_s) / drive_s, "burst_end"),
        (0.75, "phase:3"),
    ]
    if mode == "embedded":
        return sorted([*events, (0.45, "kill_serve")])
    events += [
        (0.45, "kill_worker"),
        (0.04, "pg_slow_start"),
        (0.14, "pg_slow_end"),
        (0.20, "worker_db_cut_start"),
        (0.20 + cut_seconds(drive_s) / drive_s, "worker_db_cut_end"),
        # Until EXHAUSTED_AFTER_RESTART_S after the killed worker came back (see _kill_worker):
        # warm pools open no connection, a worker starting up must.
        (0.40, "pool_exhausted_start"),
        (DUP_START, "job_duplicates_start"),
        (DUP_END, "job_duplicates_end"),
        (storm_at(drive_s), "storm_start"),
        (storm_at(drive_s) + storm_seconds(drive_s) / drive_s, "storm_end"),
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
    mode: str = "scaled"
    proxy: PgProxy | None = None  # scaled out: StoreSync reaches PostgreSQL through it
    redis_url: str | None = None
    seed: int = 0
    drive_s: float = 0.0
    performed: dict[str, int] = field(default_factory=dict)  # the run's own faults, by kind
    revoked: tuple[Shop, str] | None = None  # the shop and the access token revoked
    proxy_stats: dict[str, object] = field(default_factory=dict)  # what the proxy did, per phase
    duplicating: bool = False
    _last_dup: float = 0.0
    _dup_started_at: float = 0.0  # monotonic time duplicating began
    _exhausted: bool = False  # PostgreSQL's slots full (through the proxy) right now
    _storm_orders: int = 0  # orders created when the storm began
    _burst_started_at: float = 0.0  # monotonic time the burst began

    def run(self, drive_s: float) -> None:
        self.drive_s = drive_s
        self._rng = random.Random(self.seed)
        pending = timeline(drive_s, self.restart_services, self.mode)
        start = time.monotonic()
        self.traffic.start()
        topped_up = False
        while (elapsed := time.monotonic() - start) < drive_s:
            while pending and pending[0][0] * drive_s <= elapsed:
                self.perform(pending.pop(0)[1])
            if not topped_up and elapsed >= TOP_UP_AT * drive_s:
                topped_up = self._top_up()
            self._duplicate_jobs(elapsed)
            self.journal.watch(self.stack.procs)
            time.sleep(0.2)
        for _, name in pending:  # a very short run still performs every fault
            self.perform(name)
        self._pool_exhausted_end()  # (normally ended by the worker's restart already)
        # The kinds a short run may not have drawn yet get a bounded extra stretch.
        deadline = time.monotonic() + TOP_UP_MAX_S
        while (missing := self._missing_kinds()) and time.monotonic() < deadline:
            if missing != self.faults.topping_up:
                self._top_up()
            self.journal.watch(self.stack.procs)
            time.sleep(0.5)

    def _missing_kinds(self) -> list[str]:
        injected = self.faults.peek()
        return [kind for kind in PLATFORM_FAULTS if injected.get(kind, 0) < 1]

    def _top_up(self) -> bool:
        missing = self._missing_kinds()
        if missing or self.faults.topping_up:
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
            "kill_serve": self._kill_serve,
            "pg_slow_start": lambda: self._proxy("pg_slow", cmd="latency", ms=PG_LATENCY_MS),
            "pg_slow_end": lambda: self._proxy("pg_slow", end=True, cmd="latency", ms=0),
            "worker_db_cut_start": lambda: self._proxy(
                "worker_db_cut", cmd="cut", listener="worker", on=True
            ),
            "worker_db_cut_end": lambda: self._proxy(
                "worker_db_cut", end=True, cmd="cut", listener="worker", on=False
            ),
            "pool_exhausted_start": lambda: self._proxy(
                "pg_pool_exhausted", cmd="exhaust", on=True
            ),
            "pool_exhausted_end": self._pool_exhausted_end,
            "job_duplicates_start": lambda: self._set_duplicating(True),
            "job_duplicates_end": lambda: self._set_duplicating(False),
            "storm_start": self._storm_start,
            "storm_end": self._storm_end,
        }
        actions[name]()

    # --- scaled out: PostgreSQL through the proxy, the broker's queues, the order rate ---------

    def _proxy(self, kind: str, end: bool = False, **cmd: object) -> None:
        assert self.proxy is not None
        answer = self.proxy.command(**cmd)
        counts = answer.get("counts", {})
        assert isinstance(counts, dict)
        if end:
            self.proxy_stats[kind] = counts
            self.journal.note(f"{kind}_ended", proxy=counts)
            if kind == "pg_pool_exhausted":
                # Injected = connections that met the full server (none: the phase proved nothing).
                refused = sum(v for k, v in counts.items() if k.startswith("refused_too_many"))
                self.performed[kind] = refused
        else:
            if kind != "pg_pool_exhausted":
                self._count(kind)
            self.journal.note(f"{kind}_started", command=cmd)
            if kind == "pg_pool_exhausted":
                self._exhausted = True

    def _pool_exhausted_end(self) -> None:
        if self._exhausted:
            self._exhausted = False
            self._proxy("pg_pool_exhausted", end=True, cmd="exhaust", on=False)

    def _set_duplicating(self, on: bool) -> None:
        if on:
            self.duplicating = True
            self._dup_started_at = time.monotonic()
            self.journal.note("job_duplicates_started")
            return
        # Like the burst: the window lasts its planned length even when slow faults before it
        # made the timeline late and both ends came due in one tick (seen in CI: start and end
        # at t=28.0 of a 30 s drive, 0 copies, `job_duplicate` missing); and while no copy was
        # made yet it keeps trying a little longer, since the queues may be empty for a moment.
        deadline = self._dup_started_at + (DUP_END - DUP_START) * self.drive_s
        give_up = deadline + DUP_GRACE_S
        while time.monotonic() < deadline or (
            not self.performed.get("job_duplicate") and time.monotonic() < give_up
        ):
            self._duplicate_jobs(0.0)
            self.journal.watch(self.stack.procs)
            time.sleep(0.2)
        self.duplicating = False
        self.journal.note("job_duplicates_ended", copies=self.performed.get("job_duplicate", 0))

    def _duplicate_jobs(self, elapsed: float) -> None:
        """While on (and, if no copy was made yet, until 3/4 of the drive): every 0.5 s, copies
        of up to 3 unacked messages go back onto the broker's queues."""
        late = not self.performed.get("job_duplicate") and 0.61 * self.drive_s < elapsed < (
            0.75 * self.drive_s
        )
        if not (self.duplicating or late) or self.redis_url is None:
            return
        if time.monotonic() - self._last_dup < 0.5:
            return
        self._last_dup = time.monotonic()
        try:
            copied = jobdup.duplicate_some(self.redis_url, self._rng)
        except Exception as exc:  # Redis restarting: the next round
            self.journal.note("job_duplicate_failed", error=repr(exc)[:120])
            return
        if copied:
            self.performed["job_duplicate"] = self.performed.get("job_duplicate", 0) + len(copied)
            self.journal.note("jobs_duplicated", actors=copied)

    def _storm_start(self) -> None:
        self.traffic.rate_factor = STORM_FACTOR
        self._storm_orders = self.traffic.stats.created
        self._count("webhook_storm")
        self.journal.note(
            "webhook_storm_started", factor=STORM_FACTOR, seconds=storm_seconds(self.drive_s)
        )

    def _storm_end(self) -> None:
        self.traffic.rate_factor = 1.0
        orders = self.traffic.stats.created - self._storm_orders
        self.performed["webhook_storm_orders"] = orders
        self.journal.note("webhook_storm_ended", orders=orders)

    def _kill_serve(self) -> None:
        """Embedded: the whole of StoreSync (API, webhook intake, worker, scheduler) dies
        mid-traffic and comes back on the same port and data directory."""
        self.stack.procs.kill("serve")
        self._count("serve_sigkill")
        self.journal.note("serve_killed")
        time.sleep(SERVE_DOWN_S)
        self.stack.start_serve()
        self.stack.wait_serving()
        self.journal.note("serve_restarted")

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
        if self._exhausted:
            # The restarted worker boots against a full PostgreSQL for a while.
            time.sleep(EXHAUSTED_AFTER_RESTART_S)
            self._pool_exhausted_end()

    def _burst_start(self) -> None:
        self.faults.burst(BURST_PLATFORM)
        self._burst_started_at = time.monotonic()
        seconds = burst_seconds(self.drive_s)
        self.journal.note("burst_started", platform=BURST_PLATFORM, seconds=seconds)

    def _burst_end(self) -> None:
        # The burst lasts its full length even when slow faults before it (a PostgreSQL restart,
        # a storm on a loaded machine) made the timeline late: both ends then come due together,
        # and a 2 s burst could not open the breaker the check expects (seen under CPU load).
        remaining = burst_seconds(self.drive_s) - (time.monotonic() - self._burst_started_at)
        deadline = time.monotonic() + max(0.0, remaining)
        while time.monotonic() < deadline:
            self.journal.watch(self.stack.procs)
            time.sleep(0.2)
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
