"""Bounded polling, for what only a live server can show (end-to-end timing, process start-up).

Tests of logic should not wait: they run the queued jobs with `drain()` instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], T],
    timeout_s: float = 20.0,
    what: str = "condition",
    *,
    interval_s: float = 0.05,
    ignore: tuple[type[Exception], ...] = (),
) -> T:
    """The predicate's first truthy value; TimeoutError naming `what` once `timeout_s` passed.

    `ignore`: exceptions that count as "not yet" (a service still starting answers with errors).
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            value = predicate()
        except ignore:
            pass
        else:
            if value:
                return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(interval_s)
