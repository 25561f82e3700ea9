"""The proving ground: StoreSync scaled out under faults, then every invariant of RELIABILITY.md.

    python bench/chaos.py --minutes 3
    python bench/chaos.py --minutes 0.5 --no-restart-services   # leave PostgreSQL/Redis alone

Runs, as separate OS processes on loopback: both simulators, `storesync serve`, two `storesync
worker`s and one `storesync scheduler`, on a fresh PostgreSQL database (127.0.0.1:5432, dropped at
the end) and a dedicated Redis DB as broker. Shops are connected through OAuth and a catalog is
seeded; then, for `--minutes`, buyers order on both platforms (ship / cancel / complete moves
follow) while the simulators fail 429 / 5xx / timeouts / resets on a share of calls, drop,
duplicate, delay and reorder webhooks, and the run revokes a shop's access token, SIGKILLs a
worker (and restarts it), restarts PostgreSQL and restarts Redis (losing every queued message).

Then the faults stop, one reconciliation pass runs, the run waits (bounded) for convergence and
checks the invariants over the recorded history. It prints one JSON report and exits non-zero if
any invariant was violated (2 if the run itself could not be set up).

`STORESYNC_CHAOS_RESTART_SERVICES=0` (or --no-restart-services) skips the PostgreSQL and Redis
restarts, which affect everything else using them on this machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform as host
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chaos import checks
from chaos.faults import FaultController, FaultRates
from chaos.history import Sampler
from chaos.services import (
    Database,
    claim_redis_db,
    ensure_postgres,
    ensure_redis,
    flush_redis_db,
    postgres_ready,
    reclaim_redis_db,
    redis_ready,
    restart_postgres,
    restart_redis,
    wait_until,
)
from chaos.stack import ChaosStack, Shop, StackOptions, make_catalog
from chaos.traffic import Traffic

PLATFORM_FAULTS = ("5xx", "429", "timeout", "reset")
# A 5xx burst on one platform. The breakers judge a 60 s window, so the burst must outweigh the
# healthy calls before it: a quarter of the drive, 12..45 s (90 % failures for 45 s after 15 s
# of health is ~ 67 % over the window, past the 50 % threshold).
BURST_AT, BURST_PLATFORM = 0.50, "tiktok"


def burst_seconds(drive_s: float) -> float:
    return min(45.0, max(12.0, drive_s / 4))


QUIESCE_S = 20.0  # after the faults stop, at most this long for in-flight imports to land
TOP_UP_AT = 0.85  # share of the drive after which kinds not drawn yet are injected more often
TOP_UP_MAX_S = 20.0
WEBHOOK_FAULTS = ("webhook_drop", "webhook_duplicate", "webhook_delay", "webhook_reorder")


def parse(argv: list[str] | None) -> argparse.Namespace:
    restart_default = os.environ.get("STORESYNC_CHAOS_RESTART_SERVICES", "1") != "0"
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="how long orders flow")
    parser.add_argument("--rate", type=float, default=2.0, help="orders per second, all shops")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--products", type=int, default=8)
    parser.add_argument("--shops-per-platform", type=int, default=1)
    parser.add_argument("--worker-threads", type=int, default=4)
    parser.add_argument("--converge-timeout", type=float, default=120.0)
    parser.add_argument(
        "--redis-db", type=int, help="Redis DB used as broker (default: the first free of 12..9)"
    )
    parser.add_argument(
        "--restart-services",
        action=argparse.BooleanOptionalAction,
        default=restart_default,
        help="restart PostgreSQL and Redis once mid-run (default: on)",
    )
    parser.add_argument("--run-dir", type=Path, help="keep logs here (default: a temp dir)")
    parser.add_argument("--json-out", type=Path, help="also write the report here")
    return parser.parse_args(argv)


class ChaosRun:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.keep_dir = args.run_dir is not None
        self.run_dir: Path = args.run_dir or Path(tempfile.mkdtemp(prefix="storesync-chaos-"))
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.db = Database()
        self.owner = f"{os.getpid()}@{self.run_dir.name}"
        self.redis_db: int | None = None
        self.stack: ChaosStack | None = None
        self.engine: Engine | None = None
        self.faults: FaultController | None = None
        self.traffic: Traffic | None = None
        self.sampler: Sampler | None = None
        self.performed: dict[str, int] = {}
        self.timeline: list[dict[str, Any]] = []
        self.unexpected_exits: list[str] = []
        self.revoked: tuple[Shop, str] | None = None
        self.t0 = time.monotonic()
        self.started_unix = time.time()

    def note(self, event: str, **detail: Any) -> None:
        entry = {"t_s": round(time.monotonic() - self.t0, 1), "event": event, **detail}
        self.timeline.append(entry)
        print(json.dumps(entry), file=sys.stderr, flush=True)

    # --- the run -----------------------------------------------------------------------------

    def execute(self) -> dict[str, Any]:
        if not (postgres_ready() and redis_ready()):
            raise SystemExit("PostgreSQL and Redis must be running on 127.0.0.1")
        candidates = [self.args.redis_db] if self.args.redis_db is not None else [12, 11, 10, 9]
        self.redis_db = claim_redis_db(candidates, self.owner)
        if self.redis_db is None:
            raise RuntimeError(f"another chaos run holds Redis DBs {candidates}; wait for it")
        database_url = self.db.create()
        flush_redis_db(self.redis_url)
        reclaim_redis_db(self.redis_db, self.owner)  # the flush dropped the claim
        self.engine = create_engine(database_url, pool_pre_ping=True, pool_size=3)
        options = StackOptions(
            database_url=database_url,
            redis_url=self.redis_url,
            run_dir=self.run_dir,
            seed=self.args.seed,
            worker_threads=self.args.worker_threads,
        )
        stack = self.stack = ChaosStack(options)
        stack.start()
        self.note("stack_started", url=stack.url, run_dir=str(self.run_dir))
        first, others = make_catalog(self.args.seed, self.args.products)
        for n in range(self.args.shops_per_platform):
            for platform in ("shopee", "tiktok"):
                catalog = first if not stack.shops else others
                stack.connect(platform, f"Chaos {platform} {n + 1}", catalog)
        skus = [v["sku"] for p in first for v in p["variants"]]
        self.note("shops_connected", shops=[asdict(s) for s in stack.shops], skus=len(skus))
        wait_until(lambda: not checks.drift(self._engine(), stack), 60, "the initial push")
        self.note("initial_stock_converged")

        self.faults = FaultController(stack.sim_urls, FaultRates(), self.args.seed)
        self.sampler = Sampler(self._engine(), self._platform_stock)
        self.traffic = Traffic(stack, self._engine(), skus, self.args.rate, self.args.seed)
        self.sampler.start()
        drive_s = self.args.minutes * 60
        self._drive(drive_s)
        self.traffic.stop()
        self.faults.stop()
        stopped = time.monotonic()
        self.note("faults_stopped", orders=self.traffic.stats.created)

        self._wait_webhooks_idle()
        self._wait_orders_imported()
        reconcile = self._reconcile()
        converged_s = self._wait_converged(stopped)
        history = self.sampler.stop()
        return self._report(history, reconcile, converged_s, drive_s)

    def _platform_stock(self) -> dict[int, dict[str, int]]:
        assert self.stack is not None
        return {
            shop.id: {sku: v["available"] for sku, v in self.stack.sim_stock(shop).items()}
            for shop in self.stack.shops
        }

    def _engine(self) -> Engine:
        assert self.engine is not None
        return self.engine

    def _drive(self, drive_s: float) -> None:
        assert self.stack is not None
        assert self.faults is not None
        assert self.traffic is not None
        events: list[tuple[float, str]] = [
            (0.0, "phase:0"),
            (0.25, "phase:1"),
            (0.35, "revoke_token"),
            (0.45, "kill_worker"),
            (0.50, "phase:2"),
            (BURST_AT, "burst_start"),
            (BURST_AT + burst_seconds(drive_s) / drive_s, "burst_end"),
            (0.75, "phase:3"),
        ]
        if self.args.restart_services:
            events += [(0.18, "restart_postgres"), (0.62, "restart_redis")]
        events.sort()
        start = time.monotonic()
        self.traffic.start()
        pending = list(events)
        topped_up = False
        while True:
            elapsed = time.monotonic() - start
            if elapsed >= drive_s:
                break
            while pending and pending[0][0] * drive_s <= elapsed:
                self._perform(pending.pop(0)[1])
            if not topped_up and elapsed >= TOP_UP_AT * drive_s:
                topped_up = self._top_up()
            self._watch_processes()
            time.sleep(0.2)
        for _, name in pending:  # a very short run still performs every fault
            self._perform(name)
        # The kinds a short run may not have drawn yet get a bounded extra stretch.
        deadline = time.monotonic() + TOP_UP_MAX_S
        while self._missing_kinds() and time.monotonic() < deadline:
            self._watch_processes()
            time.sleep(0.5)

    def _missing_kinds(self) -> list[str]:
        assert self.faults is not None
        injected = self.faults.peek()
        return [kind for kind in PLATFORM_FAULTS if injected.get(kind, 0) < 1]

    def _top_up(self) -> bool:
        assert self.faults is not None
        missing = self._missing_kinds()
        if missing:
            self.faults.top_up(missing)
            self.note("fault_top_up", kinds=missing)
        return True

    def _perform(self, name: str) -> None:
        assert self.stack is not None
        assert self.faults is not None
        if name.startswith("phase:"):
            self.faults.set_phase(int(name.split(":")[1]))
            self.note("fault_phase", phase=int(name.split(":")[1]))
        elif name == "revoke_token":
            shop = next(s for s in self.stack.shops if s.platform == "shopee")
            token = self._access_token(shop)
            self.faults.revoke(shop.platform, token)
            self.revoked = (shop, token)
            self._count("revoked_token")
            self.note("token_revoked", shop_id=shop.id, platform=shop.platform)
        elif name == "kill_worker":
            self.stack.procs.kill("worker-1")
            self._count("worker_sigkill")
            self.note("worker_killed", worker="worker-1")
            time.sleep(3)
            self.stack.start_worker("worker-1")
            self.note("worker_restarted", worker="worker-1")
        elif name == "burst_start":
            self.faults.burst(BURST_PLATFORM)
            seconds = burst_seconds(self.args.minutes * 60)
            self.note("burst_started", platform=BURST_PLATFORM, seconds=seconds)
        elif name == "burst_end":
            self.faults.restore(BURST_PLATFORM)
            self.note("burst_ended", platform=BURST_PLATFORM)
        elif name == "restart_postgres":
            down = restart_postgres()
            self._count("postgres_restart")
            self.note("postgres_restarted", seconds=round(down, 1))
        elif name == "restart_redis":
            down = restart_redis()
            assert self.redis_db is not None
            reclaim_redis_db(self.redis_db, self.owner)
            self._count("redis_restart")
            self.note("redis_restarted", seconds=round(down, 1))

    def _count(self, kind: str) -> None:
        self.performed[kind] = self.performed.get(kind, 0) + 1

    def _access_token(self, shop: Shop) -> str:
        from cryptography.fernet import Fernet
        from sqlalchemy import text

        assert self.stack is not None
        with self._engine().connect() as conn:
            enc = conn.execute(
                text("SELECT access_token_enc FROM shops WHERE id = :id"), {"id": shop.id}
            ).scalar_one()
        return Fernet(self.stack.secret_key.encode()).decrypt(enc.encode()).decode()

    def _watch_processes(self) -> None:
        assert self.stack is not None
        for name in self.stack.procs.check_alive():
            # A StoreSync process must survive a database or broker restart; note it, restart it.
            code = self.stack.procs.procs[name].popen.returncode
            self.unexpected_exits.append(f"{name} (exit {code})")
            self.note("process_died", name=name, code=code)
            self.stack.procs.restart(name)

    def _wait_webhooks_idle(self) -> None:
        assert self.stack is not None
        stack = self.stack

        def idle() -> bool:
            return all(
                stack.sim[p].get("/_sim/webhook").json().get("idle") for p in ("shopee", "tiktok")
            )

        try:
            wait_until(idle, 30, "the simulators' webhooks to be delivered or given up")
        except TimeoutError:
            self.note("webhooks_not_idle")

    def _wait_orders_imported(self) -> None:
        """Let in-flight imports land first, so the reconciliation's drift is drift, not lag."""
        assert self.traffic is not None
        traffic = self.traffic

        def imported() -> bool:
            check = checks.imported_exactly_once(self._engine(), traffic.orders, 0)
            return not check.detail["missing_count"]

        try:
            wait_until(imported, QUIESCE_S, "in-flight orders to be imported")
        except TimeoutError:
            self.note("orders_still_in_flight")

    def _reconcile(self) -> dict[str, Any]:
        assert self.stack is not None
        api = self.stack.api
        job_id = wait_until(
            lambda: api.post("/api/v1/reconcile", json={}).json().get("job_id"),
            30,
            "the reconcile request to be accepted",
        )

        def finished() -> dict[str, Any] | None:
            job: dict[str, Any] = api.get(f"/api/v1/jobs/{job_id}").json()
            return job if job.get("status") not in {"queued", "running", None} else None

        job: dict[str, Any] = wait_until(finished, 120, "the reconciliation pass")
        self.note("reconciled", job_id=job_id, status=job["status"], counts=job["counts"])
        failed = {e.get("shop_id") for e in job["errors"] if e.get("shop_id") is not None}
        follow_ups: list[dict[str, Any]] = []
        if failed:
            # A shop whose pass failed for a passing reason (breaker open, budget spent) gets a
            # follow-up job from the worker; wait for each to succeed, bounded.
            def done() -> bool:
                later = api.get("/api/v1/jobs", params={"kind": "reconcile", "limit": 50}).json()
                mine = [j for j in later if j["id"] > job_id]
                follow_ups[:] = mine
                ok = {j["shop_id"] for j in mine if j["status"] == "succeeded"}
                return failed <= ok

            try:
                wait_until(done, 120, "the follow-up reconciliation of the failed shops")
            except TimeoutError:
                self.note("follow_up_reconciliation_incomplete", shops=sorted(failed))
            for extra in follow_ups:
                self.note(
                    "reconciled_follow_up",
                    job_id=extra["id"],
                    shop_id=extra["shop_id"],
                    status=extra["status"],
                    counts=extra["counts"],
                )
        counts = dict(job["counts"])
        for extra in follow_ups:
            for key in ("drifted", "healed", "orders_missing", "orders_imported"):
                counts[key] = counts.get(key, 0) + extra["counts"].get(key, 0)
        return {
            "job_id": job_id,
            "status": job["status"],
            "counts": counts,
            "errors": job["errors"],
            "follow_ups": [
                {"job_id": j["id"], "shop_id": j["shop_id"], "status": j["status"]}
                for j in follow_ups
            ],
            "drifted": job["params"].get("drifted", []),
            "missing_orders": job["params"].get("missing_orders", []),
        }

    def _wait_converged(self, stopped: float) -> float | None:
        assert self.stack is not None
        assert self.traffic is not None
        deadline = time.monotonic() + self.args.converge_timeout
        while time.monotonic() < deadline:
            self._watch_processes()
            try:
                orders = checks.imported_exactly_once(
                    self._engine(), self.traffic.orders, self.traffic.stats.errors
                )
                if (
                    orders.ok
                    and not checks.drift(self._engine(), self.stack)
                    and not checks.open_breakers(self._engine())
                ):
                    seconds = time.monotonic() - stopped
                    self.note("converged", seconds=round(seconds, 1))
                    return seconds
            except Exception as exc:  # keep waiting, bounded
                self.note("convergence_probe_failed", error=repr(exc)[:200])
            time.sleep(1)
        self.note("not_converged")
        return None

    # --- the report --------------------------------------------------------------------------

    def _report(
        self,
        history: Any,
        reconcile: dict[str, Any],
        converged_s: float | None,
        drive_s: float,
    ) -> dict[str, Any]:
        assert self.stack is not None
        assert self.faults is not None
        assert self.traffic is not None
        engine = self._engine()
        injected = {**self.faults.totals(), **self.performed}
        required = [
            *PLATFORM_FAULTS,
            *WEBHOOK_FAULTS,
            "5xx_burst",
            "revoked_token",
            "worker_sigkill",
        ]
        if self.args.restart_services:
            required += ["postgres_restart", "redis_restart"]
        metrics = checks.read_metrics(self.stack.metrics_dir)
        results = [
            checks.imported_exactly_once(engine, self.traffic.orders, self.traffic.stats.errors),
            checks.ledger_consistent(engine, self.traffic.orders),
            checks.converged(engine, self.stack, converged_s, self.args.converge_timeout),
            checks.oversell(engine, self.traffic.orders, history),
            checks.checkpoints(history),
            checks.breakers(
                engine,
                self.run_dir / "logs",
                BURST_PLATFORM,
                one_shop_each=self.args.shops_per_platform == 1,
            ),
            checks.retry_discipline(metrics, self.run_dir / "logs"),
            checks.dead_letters(engine),
            checks.fault_coverage(injected, required),
            checks.token_healed(
                engine,
                self.revoked[0] if self.revoked else None,
                self.revoked[1] if self.revoked else None,
                self.stack.secret_key,
            ),
        ]
        by_name = {c.name: c for c in results}
        stats = self.traffic.stats
        return {
            "ok": all(c.ok for c in results),
            "violated": [c.name for c in results if not c.ok],
            "minutes": self.args.minutes,
            "wall_clock_s": round(time.monotonic() - self.t0, 1),
            "machine": machine(),
            "faults_injected": injected,
            "faults_by_platform": self.faults.by_platform(),
            "orders": {
                "created": stats.created,
                "refused_out_of_stock": stats.refused,
                "control_errors": stats.errors,
                "imported": by_name["imported_exactly_once"].detail["storesync_orders"],
                "status_moves": dict(stats.moves),
                "rate_per_s": round(stats.created / drive_s, 2) if drive_s else 0,
            },
            "restocks": {"count": stats.restocks, "units": stats.restock_units},
            "duplicates": len(by_name["imported_exactly_once"].detail["duplicates"]),
            "oversold_units": by_name["no_known_oversell"].detail["oversold_units"],
            "drift": {
                "found_by_reconciliation": reconcile["counts"].get("drifted", 0),
                "pending_at_reconciliation": reconcile["counts"].get("pending", 0),
                "orders_missing_at_reconciliation": reconcile["counts"].get("orders_missing", 0),
                "remaining": by_name["convergence"].detail["drifted_count"],
            },
            "dead_letters": by_name["dead_letters_have_codes"].detail["by_code"],
            "time_to_converge_s": by_name["convergence"].detail["time_to_converge_s"],
            "breaker_transitions": by_name["breakers"].detail["transitions"],
            "retries_by_class": by_name["retry_discipline"].detail["retries_by_class"],
            "reconciliation": reconcile,
            "drift_timelines": self._drift_timelines(history, reconcile["drifted"]),
            "unexpected_process_exits": self.unexpected_exits,
            "invariants": {c.name: {"ok": c.ok, **c.detail} for c in results},
            "timeline": self.timeline,
        }

    # --- clean-up ----------------------------------------------------------------------------

    def _drift_timelines(self, history: Any, drifted: list[dict[str, Any]]) -> dict[str, Any]:
        """What the sampler saw of each listing the reconciliation found drifted: desired,
        confirmed, dirty and what the platform showed, at each change (seconds into the run)."""
        from sqlalchemy import text

        out: dict[str, Any] = {}
        with self._engine().connect() as conn:
            for item in drifted[:10]:
                listing_id = conn.execute(
                    text("SELECT id FROM listings WHERE shop_id = :s AND seller_sku = :k"),
                    {"s": item["shop_id"], "k": item["sku"]},
                ).scalar()
                points = history.timeline.get(listing_id, [])[-15:]
                out[f"{item['shop_id']}:{item['sku']}"] = [
                    {
                        "t_s": round(t - self.started_unix, 1),
                        "desired": desired,
                        "confirmed": confirmed,
                        "dirty": dirty,
                        "platform": shows,
                    }
                    for t, desired, confirmed, dirty, shows in points
                ]
        return out

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:6379/{self.redis_db}"

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
        if self.engine is not None:
            steps.append(self.engine.dispose)
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


def machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_gb = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        kb = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1])
        memory_gb = round(kb / 1024 / 1024, 1)
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": memory_gb,
        "python": host.python_version(),
        "system": f"{host.system()} {host.release()}",
    }


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    run = ChaosRun(args)
    report: dict[str, Any] | None = None
    try:
        report = run.execute()
    except KeyboardInterrupt:
        print("interrupted; cleaning up", file=sys.stderr)
        return 130
    except (TimeoutError, RuntimeError, OSError) as exc:
        print(f"chaos run could not complete: {exc}", file=sys.stderr)
        return 2
    finally:
        run.cleanup(failed=report is None or not report.get("ok"))
    text = json.dumps(report, indent=2, default=str)
    print(text)
    if args.json_out:
        args.json_out.write_text(text)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
