"""The faults themselves: each required kind happened at least once (the simulators' "injected"
counters plus the run's own process faults)."""

from __future__ import annotations

from collections.abc import Iterable

from bench.chaos.checks.base import Check


def check(injected: dict[str, int], required: Iterable[str]) -> Check:
    missing = [kind for kind in required if injected.get(kind, 0) < 1]
    return Check("every_fault_injected", not missing, {"injected": injected, "missing": missing})
