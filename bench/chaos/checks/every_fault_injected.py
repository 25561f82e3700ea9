"""The faults themselves: each required kind happened at least once (the simulators' "injected"
counters plus the run's own process faults)."""

from __future__ import annotations

from collections.abc import Iterable

from bench.chaos.checks.base import Check

# Faults of the scaled-out stack only: the embedded default has no workers, no PostgreSQL, no
# Redis (its own process fault is `serve_sigkill`).
SCALED_ONLY = (
    "worker_sigkill",
    "postgres_restart",
    "redis_restart",
    "pg_slow",
    "worker_db_cut",
    "pg_pool_exhausted",
    "job_duplicate",
    "webhook_storm",
)


def check(injected: dict[str, int], required: Iterable[str], mode: str = "scaled") -> Check:
    missing = [kind for kind in required if injected.get(kind, 0) < 1]
    detail: dict[str, object] = {"injected": injected, "missing": missing}
    if mode == "embedded":
        detail["not_applicable"] = {kind: "not applicable in embedded mode" for kind in SCALED_ONLY}
    return Check("every_fault_injected", not missing, detail)
