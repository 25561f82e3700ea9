"""After the faults stop: let the simulators' webhooks and in-flight imports land, ask for one
reconciliation pass (and await the follow-ups of shops whose pass failed for a passing reason),
then wait, bounded, for convergence: every listing shows the master, every order is imported,
every breaker is closed."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import Engine

from bench.chaos.checks import breakers, convergence, imported_exactly_once
from bench.chaos.journal import Journal
from bench.chaos.services import wait_until
from bench.chaos.stack import ChaosStack
from bench.chaos.traffic import Traffic

QUIESCE_S = 20.0  # after the faults stop, at most this long for in-flight imports to land
Job = dict[str, Any]


@dataclass(frozen=True)
class Settled:
    reconcile: dict[str, Any]  # the pass and its follow-ups, summed
    converged_s: float | None  # seconds from the faults stopping to convergence; None: never


def settle(
    stack: ChaosStack,
    engine: Engine,
    traffic: Traffic,
    journal: Journal,
    converge_timeout_s: float,
    stopped: float,
) -> Settled:
    """`stopped`: the monotonic time the faults stopped."""
    wait_webhooks_idle(stack, journal)
    wait_orders_imported(engine, traffic, journal)
    reconcile = reconcile_once(stack.api, journal)
    converged_s = wait_converged(stack, engine, traffic, journal, converge_timeout_s, stopped)
    return Settled(reconcile, converged_s)


def wait_webhooks_idle(stack: ChaosStack, journal: Journal) -> None:
    def idle() -> bool:
        return all(
            stack.sim[p].get("/_sim/webhook").json().get("idle") for p in ("shopee", "tiktok")
        )

    try:
        wait_until(idle, 30, "the simulators' webhooks to be delivered or given up")
    except TimeoutError:
        journal.note("webhooks_not_idle")


def wait_orders_imported(engine: Engine, traffic: Traffic, journal: Journal) -> None:
    """Let in-flight imports land first, so the reconciliation's drift is drift, not lag."""

    def imported() -> bool:
        check = imported_exactly_once.check(engine, traffic.orders, 0)
        return not check.detail["missing_count"]

    try:
        wait_until(imported, QUIESCE_S, "in-flight orders to be imported")
    except TimeoutError:
        journal.note("orders_still_in_flight")


# --- the reconciliation pass ---------------------------------------------------------------------


def reconcile_once(api: httpx.Client, journal: Journal) -> dict[str, Any]:
    job_id = wait_until(
        lambda: api.post("/api/v1/reconcile", json={}).json().get("job_id"),
        30,
        "the reconcile request to be accepted",
    )

    def finished() -> Job | None:
        job: Job = api.get(f"/api/v1/jobs/{job_id}").json()
        return job if job.get("status") not in {"queued", "running", None} else None

    job: Job = wait_until(finished, 120, "the reconciliation pass")
    journal.note("reconciled", job_id=job_id, status=job["status"], counts=job["counts"])
    failed = {e.get("shop_id") for e in job["errors"] if e.get("shop_id") is not None}
    follow_ups = _await_follow_ups(api, job_id, failed, journal) if failed else []
    return _summary(job_id, job, follow_ups)


def _await_follow_ups(
    api: httpx.Client, job_id: int, failed: set[int], journal: Journal
) -> list[Job]:
    """A shop whose pass failed for a passing reason (breaker open, budget spent) gets a
    follow-up job from the worker; wait for each to succeed, bounded."""
    follow_ups: list[Job] = []

    def done() -> bool:
        later = api.get("/api/v1/jobs", params={"kind": "reconcile", "limit": 50}).json()
        mine = [j for j in later if j["id"] > job_id]
        follow_ups[:] = mine
        ok = {j["shop_id"] for j in mine if j["status"] == "succeeded"}
        return failed <= ok

    try:
        wait_until(done, 120, "the follow-up reconciliation of the failed shops")
    except TimeoutError:
        journal.note("follow_up_reconciliation_incomplete", shops=sorted(failed))
    for extra in follow_ups:
        journal.note(
            "reconciled_follow_up",
            job_id=extra["id"],
            shop_id=extra["shop_id"],
            status=extra["status"],
            counts=extra["counts"],
        )
    return follow_ups


def _summary(job_id: int, job: Job, follow_ups: list[Job]) -> dict[str, Any]:
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
            {"job_id": j["id"], "shop_id": j["shop_id"], "status": j["status"]} for j in follow_ups
        ],
        "drifted": job["params"].get("drifted", []),
        "missing_orders": job["params"].get("missing_orders", []),
    }


# --- convergence ---------------------------------------------------------------------------------


def wait_converged(
    stack: ChaosStack,
    engine: Engine,
    traffic: Traffic,
    journal: Journal,
    timeout_s: float,
    stopped: float,
) -> float | None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        journal.watch(stack.procs)
        try:
            if _converged(stack, engine, traffic):
                seconds = time.monotonic() - stopped
                journal.note("converged", seconds=round(seconds, 1))
                return seconds
        except Exception as exc:  # keep waiting, bounded
            journal.note("convergence_probe_failed", error=repr(exc)[:200])
        time.sleep(1)
    journal.note("not_converged")
    return None


def _converged(stack: ChaosStack, engine: Engine, traffic: Traffic) -> bool:
    orders = imported_exactly_once.check(engine, traffic.orders, traffic.stats.errors)
    return orders.ok and not convergence.drift(engine, stack) and not breakers.open_breakers(engine)
