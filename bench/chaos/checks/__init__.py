"""The invariants of docs/invariants.md, checked over
the recorded history once the faults stopped, one reconciliation pass ran and the run converged.

One module per invariant, each with a `check(...)` that returns `Check(name, ok, detail)`; the
run fails if any is not ok. Ground truth is what the simulators hold (every order the traffic
placed, its last status, the stock each platform shows); StoreSync's side is read straight from
its database. `CHECKS` lists them in the order the report shows them; `run_all` runs them over
one run's `Evidence`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from bench.chaos.checks import (
    breakers,
    checkpoints_monotonic,
    convergence,
    dead_letters_have_codes,
    every_fault_injected,
    imported_exactly_once,
    no_duplicate_effects,
    no_known_oversell,
    retry_discipline,
    revoked_token_healed,
    webhooks_acknowledged_stored,
)
from bench.chaos.checks.base import Check
from bench.chaos.history import History
from bench.chaos.stack import ChaosStack, Shop
from bench.chaos.traffic import PlacedOrder

__all__ = ["CHECKS", "Check", "Evidence", "run_all"]


@dataclass(frozen=True)
class Evidence:
    """Everything one run recorded that the checks judge."""

    engine: Engine
    stack: ChaosStack
    placed: list[PlacedOrder]
    uncertain: int  # control-API calls that failed: their orders may exist or not
    history: History
    converged_s: float | None
    converge_budget_s: float
    logs: Path
    burst_platform: str | None
    one_shop_each: bool
    metrics: retry_discipline.Metrics
    injected: dict[str, int]
    required: list[str]
    revoked: tuple[Shop, str] | None
    mode: str = "scaled"  # or "embedded": one process, SQLite, no broker
    # Each simulator's delivery attempts (GET /_sim/webhook/deliveries), oldest first.
    deliveries: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    clock_offsets: dict[str, float] = field(default_factory=dict)  # platform clock minus ours


def _imported_exactly_once(e: Evidence) -> Check:
    return imported_exactly_once.check(e.engine, e.placed, e.uncertain)


def _no_duplicate_effects(e: Evidence) -> Check:
    return no_duplicate_effects.check(e.engine, e.placed)


def _convergence(e: Evidence) -> Check:
    return convergence.check(e.engine, e.stack, e.converged_s, e.converge_budget_s)


def _no_known_oversell(e: Evidence) -> Check:
    return no_known_oversell.check(e.engine, e.placed, e.history, e.clock_offsets)


def _checkpoints_monotonic(e: Evidence) -> Check:
    return checkpoints_monotonic.check(e.history)


def _breakers(e: Evidence) -> Check:
    return breakers.check(e.engine, e.logs, e.burst_platform, e.one_shop_each, e.mode)


def _retry_discipline(e: Evidence) -> Check:
    return retry_discipline.check(e.metrics, e.logs)


def _dead_letters_have_codes(e: Evidence) -> Check:
    return dead_letters_have_codes.check(e.engine)


def _every_fault_injected(e: Evidence) -> Check:
    return every_fault_injected.check(e.injected, e.required, e.mode)


def _webhooks_acknowledged_stored(e: Evidence) -> Check:
    return webhooks_acknowledged_stored.check(e.engine, e.deliveries)


def _revoked_token_healed(e: Evidence) -> Check:
    shop, token = e.revoked if e.revoked else (None, None)
    return revoked_token_healed.check(e.engine, shop, token, e.stack.secret_key)


CHECKS: tuple[Callable[[Evidence], Check], ...] = (
    _imported_exactly_once,
    _webhooks_acknowledged_stored,
    _no_duplicate_effects,
    _convergence,
    _no_known_oversell,
    _checkpoints_monotonic,
    _breakers,
    _retry_discipline,
    _dead_letters_have_codes,
    _every_fault_injected,
    _revoked_token_healed,
)


def run_all(evidence: Evidence) -> list[Check]:
    return [check(evidence) for check in CHECKS]
