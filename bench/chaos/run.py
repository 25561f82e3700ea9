"""One chaos run, phase by phase: claim a Redis DB and create a PostgreSQL database, start the
stack and connect the shops, drive traffic through the fault timeline (drive.py), stop the
faults and settle (settle.py), check every invariant and report (checks/, report.py); clean up
whatever happened."""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from bench.chaos import checks, report
from bench.chaos.checks import convergence, retry_discipline, webhooks_acknowledged_stored
from bench.chaos.drive import BURST_PLATFORM, Drive
from bench.chaos.faults import FaultController, FaultRates
from bench.chaos.history import History, Sampler
from bench.chaos.journal import Journal
from bench.chaos.pgproxy import PgProxy
from bench.chaos.services import (
    Database,
    claim_redis_db,
    ensure_postgres,
    ensure_redis,
    flush_redis_db,
    postgres_ready,
    reclaim_redis_db,
    redis_ready,
    wait_until,
)
from bench.chaos.settle import Settled, settle
from bench.chaos.stack import ChaosStack, StackOptions, make_catalog
from bench.chaos.traffic import Traffic

REDIS_DBS = [12, 11, 10, 9]  # the first of these no other chaos run holds
# Platform clock minus ours for the whole run. The simulators reject a request timestamp more than
# 300 s off their clock (TikTok: 300 s in the past, only 30 s in the future), so 4 min is as far
# as skew goes with every signed call still accepted (5 min would fail every one of them): TikTok
# runs 4 min ahead (our timestamps look 4 min old to it), Shopee 4 min behind (they look 4 min
# early, which only Shopee's symmetric window allows).
CLOCK_OFFSETS = {"tiktok": 240.0, "shopee": -240.0}


def _sqlite_datetime(raw: bytes) -> datetime:
    value = datetime.fromisoformat(raw.decode())
    return value if value.tzinfo else value.replace(tzinfo=UTC)


sqlite3.register_converter("DATETIME", _sqlite_datetime)


class ChaosRun:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.keep_dir = args.run_dir is not None
        self.run_dir: Path = args.run_dir or Path(tempfile.mkdtemp(prefix="storesync-chaos-"))
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.db = Database()
        self.owner = f"{os.getpid()}@{self.run_dir.name}"
        self.journal = Journal()
        self.redis_db: int | None = None
        self.stack: ChaosStack | None = None
        self.engine: Engine | None = None
        self.faults: FaultController | None = None
        self.traffic: Traffic | None = None
        self.sampler: Sampler | None = None
        self.proxy: PgProxy | None = None
        self.deliveries: dict[str, list[dict[str, Any]]] = {}
        self.mode: str = getattr(args, "mode", "scaled")
        self.clock_offsets = CLOCK_OFFSETS if getattr(args, "clock_skew", True) else {}

    @property
    def embedded(self) -> bool:
        return self.mode == "embedded"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:6379/{self.redis_db}"

    def execute(self) -> dict[str, Any]:
        if self.embedded:
            database_url = f"sqlite:///{self.run_dir / 'storesync.db'}"
            engine = self.engine = create_engine(
                database_url,
                connect_args={"detect_types": sqlite3.PARSE_DECLTYPES, "timeout": 10},
            )
        else:
            database_url = self._claim_services()
            engine = self.engine = create_engine(database_url, pool_pre_ping=True, pool_size=3)
            upstream = make_url(database_url)
            self.proxy = PgProxy(
                self.run_dir / "pgproxy.log", upstream.port or 5432, upstream.host or "127.0.0.1"
            )
        stack = self._make_stack(database_url)
        stack.start()
        clocks = stack.sim_clocks()
        self.journal.note(
            "stack_started", url=stack.url, run_dir=str(self.run_dir), mode=self.mode, clocks=clocks
        )
        skus = self._connect_shops(stack, engine)
        faults = self.faults = FaultController(stack.sim_urls, FaultRates(), self.args.seed)
        sampler = self.sampler = Sampler(engine, self._platform_stock)
        traffic = self.traffic = Traffic(stack, engine, skus, self.args.rate, self.args.seed)
        sampler.start()
        drive_s = self.args.minutes * 60
        drive = Drive(
            stack,
            engine,
            faults,
            traffic,
            self.journal,
            restart_services=self.args.restart_services and not self.embedded,
            reclaim_redis=self._reclaim_redis,
            mode=self.mode,
            proxy=self.proxy,
            redis_url=None if self.embedded else self.redis_url,
            seed=self.args.seed,
        )
        if self.clock_offsets and all(
            abs(clocks.get(p, 0.0) - off) < 1 for p, off in self.clock_offsets.items()
        ):
            drive.performed["clock_skew"] = len(self.clock_offsets)
        drive.run(drive_s)
        traffic.stop()
        faults.stop()
        stopped = time.monotonic()
        self.journal.note("faults_stopped", orders=traffic.stats.created)
        settled = settle(stack, engine, traffic, self.journal, self.args.converge_timeout, stopped)
        history = sampler.stop()
        self.deliveries = webhooks_acknowledged_stored.collect(stack)
        return self._report(drive, history, settled, drive_s)

    # --- set-up --------------------------------------------------------------------------------

    def _claim_services(self) -> str:
        """A Redis DB of our own (flushed) and a fresh PostgreSQL database; returns its URL."""
        if not (postgres_ready() and redis_ready()):
            raise SystemExit("PostgreSQL and Redis must be running on 127.0.0.1")
        candidates = [self.args.redis_db] if self.args.redis_db is not None else REDIS_DBS
        self.redis_db = claim_redis_db(candidates, self.owner)
        if self.redis_db is None:
            raise RuntimeError(f"another chaos run holds Redis DBs {candidates}; wait for it")
        database_url = self.db.create()
        flush_redis_db(self.redis_url)
        self._reclaim_redis()  # the flush dropped the claim
        return database_url

    def _reclaim_redis(self) -> None:
        assert self.redis_db is not None
        reclaim_redis_db(self.redis_db, self.owner)

    def _make_stack(self, database_url: str) -> ChaosStack:
        proxy = self.proxy
        options = StackOptions(
            database_url=database_url,
            redis_url=None if self.embedded else self.redis_url,
            run_dir=self.run_dir,
            seed=self.args.seed,
            worker_threads=self.args.worker_threads,
            app_database_url=proxy.url(database_url, "app") if proxy else None,
            worker_database_url=proxy.url(database_url, "worker") if proxy else None,
            clock_offsets=dict(self.clock_offsets),
        )
        self.stack = ChaosStack(options)
        return self.stack

    def _connect_shops(self, stack: ChaosStack, engine: Engine) -> list[str]:
        """Connect the shops (the first seeds the catalog); wait for the first push to land.
        Returns the SKUs the traffic orders."""
        first, others = make_catalog(self.args.seed, self.args.products)
        for n in range(self.args.shops_per_platform):
            for platform in ("shopee", "tiktok"):
                catalog = first if not stack.shops else others
                stack.connect(platform, f"Chaos {platform} {n + 1}", catalog)
        skus = [v["sku"] for p in first for v in p["variants"]]
        self.journal.note("shops_connected", shops=[asdict(s) for s in stack.shops], skus=len(skus))
        wait_until(lambda: not convergence.drift(engine, stack), 60, "the initial push")
        self.journal.note("initial_stock_converged")
        return skus

    def _platform_stock(self) -> dict[int, dict[str, int]]:
        assert self.stack is not None
        return {
            shop.id: {sku: v["available"] for sku, v in self.stack.sim_stock(shop).items()}
            for shop in self.stack.shops
        }

    # --- the report ----------------------------------------------------------------------------

    def _report(
        self, drive: Drive, history: History, settled: Settled, drive_s: float
    ) -> dict[str, Any]:
        assert self.engine is not None
        assert self.stack is not None
        assert self.faults is not None
        assert self.traffic is not None
        injected = {**self.faults.totals(), **drive.performed}
        evidence = checks.Evidence(
            engine=self.engine,
            stack=self.stack,
            placed=self.traffic.orders,
            uncertain=self.traffic.stats.errors,
            history=history,
            converged_s=settled.converged_s,
            converge_budget_s=self.args.converge_timeout,
            logs=self.run_dir / "logs",
            burst_platform=BURST_PLATFORM,
            one_shop_each=self.args.shops_per_platform == 1,
            metrics=retry_discipline.read_metrics(self.stack.metrics_dir),
            injected=injected,
            required=report.required_faults(
                self.args.restart_services, self.mode, bool(self.clock_offsets)
            ),
            revoked=drive.revoked,
            mode=self.mode,
            deliveries=self.deliveries,
            clock_offsets=dict(self.clock_offsets),
        )
        results = checks.run_all(evidence)
        return report.summary(
            results,
            minutes=self.args.minutes,
            drive_s=drive_s,
            journal=self.journal,
            injected=injected,
            faults_by_platform=self.faults.by_platform(),
            stats=self.traffic.stats,
            settled=settled,
            drift_timelines=report.drift_timelines(
                self.engine, history, settled.reconcile["drifted"], self.journal.started_unix
            ),
            mode=self.mode,
            seed=self.args.seed,
            proxy=drive.proxy_stats,
            clock_offsets=dict(self.clock_offsets),
        )

    # --- clean-up ------------------------------------------------------------------------------

    def _flush_redis(self) -> None:
        if self.redis_db is not None:
            flush_redis_db(self.redis_url)  # the claim goes with it

    def cleanup(self, failed: bool) -> None:
        steps: list[Callable[[], object]] = []
        if self.traffic is not None:
            steps.append(self.traffic.stop)
        if self.sampler is not None:
            steps.append(self.sampler.stop)
        if self.faults is not None:
            steps.append(self.faults.close)
        if self.stack is not None:
            steps += [self.stack.procs.stop_all, self.stack.close]
        if self.proxy is not None:
            steps.append(self.proxy.stop)
        if self.engine is not None:
            steps.append(self.engine.dispose)
        if not self.embedded:
            steps += [ensure_postgres, ensure_redis, self.db.drop, self._flush_redis]
        for step in steps:
            try:
                step()
            except Exception as exc:  # clean up as much as possible
                print(f"clean-up step failed: {exc!r}", file=sys.stderr)
        if failed or self.keep_dir:
            print(f"logs kept in {self.run_dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.run_dir, ignore_errors=True)
