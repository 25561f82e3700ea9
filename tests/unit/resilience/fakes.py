"""A fake clock and a metric reader for the resilience unit tests (the fake client is
`storesync.testing.fakes.FakeClient`)."""

from __future__ import annotations

from typing import Any

T0 = 1_700_000_000.0


class FakeClock:
    """Wall time that moves only when told to; `sleep` records the wait and moves the time."""

    def __init__(self, now: float = T0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


def sample(name: str, labels: dict[str, str]) -> float:
    from storesync.observability.metrics import REGISTRY

    value: Any = REGISTRY.get_sample_value(name, labels)
    return float(value or 0.0)
