"""The simulated clock every time-dependent rule of a simulator reads.

Token expiry, timestamp tolerance, order times and push timestamps all use it, so a test can jump
four hours ahead with one call instead of sleeping. It follows real time (plus an offset) rather
than standing still, because clients sign requests with their own wall clock and a frozen clock
would reject every call after five minutes of a long demo.
"""

from __future__ import annotations

import threading
import time


class SimClock:
    """Unix seconds: real time plus an offset that only ever grows (until `reset`).

    `start_offset_s` (may be negative) is where it starts and what `reset` goes back to: a
    platform whose clock runs ahead of, or behind, its clients' from the start.
    """

    def __init__(self, start_offset_s: float = 0.0) -> None:
        self._start = float(start_offset_s)
        self._offset = self._start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset

    @property
    def offset(self) -> float:
        with self._lock:
            return self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            # Going back in time would let expired tokens live again; no platform does that.
            raise ValueError("the simulated clock only moves forward")
        with self._lock:
            self._offset += seconds

    def reset(self) -> None:
        with self._lock:
            self._offset = self._start
