"""Per (endpoint family, shop) request rate limits, as the platforms enforce them.

A sliding one-second window rather than a token bucket: it is what a client most easily
overruns with a burst, and it is exact, so tests can assert "the 6th call in a second fails".
It runs on real monotonic time, not the simulated clock: advancing the sim clock by hours must
not silently refill every window, and rate limits are about real request bursts.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable


class RateLimiter:
    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._windows: defaultdict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, family: str, key: str, per_second: float) -> bool:
        """Record one call and say whether it fits in the last second's budget.

        `per_second <= 0` means unlimited. Below 1 (e.g. 0.2) it means one call per
        1/per_second seconds. A refused call does not use budget, like the platforms, which
        count only served calls.
        """
        if per_second <= 0:
            return True
        limit, span = (int(per_second), 1.0) if per_second >= 1 else (1, 1.0 / per_second)
        now = self._now()
        with self._lock:
            window = self._windows[(family, key)]
            while window and window[0] <= now - span:
                window.popleft()
            if len(window) >= limit:
                return False
            window.append(now)
            return True

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()
