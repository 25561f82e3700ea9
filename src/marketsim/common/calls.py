"""Counts of API calls received, by path and outcome, for `GET /_sim/calls`.

Tests and benchmarks use it to assert what a client actually sent (e.g. "exactly one refresh",
"no call after the breaker opened") without wrapping the client.
"""

from __future__ import annotations

import threading
from collections import defaultdict


class CallLog:
    def __init__(self) -> None:
        self._counts: defaultdict[str, defaultdict[str, int]] = defaultdict(
            lambda: defaultdict(int)
        )
        self._lock = threading.Lock()

    def record(self, path: str, outcome: str) -> None:
        """`outcome` is "ok", a platform error code, or an injected fault kind."""
        with self._lock:
            self._counts[path][outcome] += 1

    def snapshot(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {path: dict(outcomes) for path, outcomes in self._counts.items()}

    def total(self, path: str | None = None, outcome: str | None = None) -> int:
        """Sum of calls, optionally for one path and/or one outcome."""
        with self._lock:
            return sum(
                n
                for p, outcomes in self._counts.items()
                if path is None or p == path
                for o, n in outcomes.items()
                if outcome is None or o == outcome
            )

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
