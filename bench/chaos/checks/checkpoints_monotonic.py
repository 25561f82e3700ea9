"""Invariant 5, checkpoints: sampled `sync_checkpoints` never move backwards (items a checkpoint
skipped show up as missing orders in imported_exactly_once)."""

from __future__ import annotations

from bench.chaos.checks.base import MAX_LISTED, Check
from bench.chaos.history import History


def check(history: History) -> Check:
    return Check(
        "checkpoints_monotonic",
        not history.backwards,
        {
            "series": len(history.checkpoints),
            "moves": sum(len(v) for v in history.checkpoints.values()),
            "backwards": history.backwards[:MAX_LISTED],
            "samples": history.samples,
            "failed_samples": history.failed_samples,
        },
    )
