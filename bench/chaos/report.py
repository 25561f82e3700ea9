"""The one JSON report of a run: every invariant's verdict and detail, the faults injected, the
orders, drift and convergence figures, the machine, and the timeline."""

from __future__ import annotations

import contextlib
import os
import platform as host
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from bench.chaos.checks import Check
from bench.chaos.drive import PLATFORM_FAULTS, WEBHOOK_FAULTS
from bench.chaos.history import History
from bench.chaos.journal import Journal
from bench.chaos.settle import Settled
from bench.chaos.traffic import TrafficStats


def required_faults(
    restart_services: bool, mode: str = "scaled", clock_skew: bool = True
) -> list[str]:
    """The kinds `every_fault_injected` insists on."""
    required = [*PLATFORM_FAULTS, *WEBHOOK_FAULTS, "5xx_burst", "revoked_token"]
    if clock_skew:
        required.append("clock_skew")
    if mode == "embedded":
        return [*required, "serve_sigkill"]
    required += ["worker_sigkill", "pg_slow", "worker_db_cut", "pg_pool_exhausted"]
    required += ["job_duplicate", "webhook_storm"]
    if restart_services:
        required += ["postgres_restart", "redis_restart"]
    return required


def summary(
    results: list[Check],
    *,
    minutes: float,
    drive_s: float,
    journal: Journal,
    injected: dict[str, int],
    faults_by_platform: dict[str, dict[str, int]],
    stats: TrafficStats,
    settled: Settled,
    drift_timelines: dict[str, Any],
    mode: str = "scaled",
    seed: int | None = None,
    proxy: dict[str, Any] | None = None,
    clock_offsets: dict[str, float] | None = None,
) -> dict[str, Any]:
    by_name = {c.name: c for c in results}
    reconcile = settled.reconcile
    return {
        "ok": all(c.ok for c in results),
        "violated": [c.name for c in results if not c.ok],
        "mode": mode,
        "seed": seed,
        "minutes": minutes,
        "wall_clock_s": round(journal.elapsed_s(), 1),
        "machine": machine(),
        "faults_injected": injected,
        "faults_by_platform": faults_by_platform,
        "postgres_proxy": proxy
        or ("not applicable in embedded mode" if mode == "embedded" else {}),
        "clock_offsets_s": clock_offsets or {},
        "webhooks_acknowledged": by_name["webhooks_acknowledged_stored"].detail["by_platform"],
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
        "drift_timelines": drift_timelines,
        "unexpected_process_exits": journal.unexpected_exits,
        "invariants": {c.name: {"ok": c.ok, **c.detail} for c in results},
        "timeline": journal.timeline,
    }


def drift_timelines(
    engine: Engine, history: History, drifted: list[dict[str, Any]], started_unix: float
) -> dict[str, Any]:
    """What the sampler saw of each listing the reconciliation found drifted: desired,
    confirmed, dirty and what the platform showed, at each change (seconds into the run)."""
    out: dict[str, Any] = {}
    with engine.connect() as conn:
        for item in drifted[:10]:
            listing_id = conn.execute(
                text("SELECT id FROM listings WHERE shop_id = :s AND seller_sku = :k"),
                {"s": item["shop_id"], "k": item["sku"]},
            ).scalar()
            points = history.timeline.get(listing_id, [])[-15:]  # type: ignore[arg-type]
            out[f"{item['shop_id']}:{item['sku']}"] = [
                {
                    "t_s": round(t - started_unix, 1),
                    "desired": desired,
                    "confirmed": confirmed,
                    "dirty": dirty,
                    "platform": shows,
                }
                for t, desired, confirmed, dirty, shows in points
            ]
    return out


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
