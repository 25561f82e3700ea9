"""Platform faults through each simulator's `/_sim/faults`, rotated in phases.

A simulator family injects one error kind at a time, so the run rotates kinds across families:
in phase i, family j fails with KINDS[(i + j) % 4]. Every kind is live in every phase (on some
family) and every family sees every kind over four phases. Token refresh ("auth") is left alone:
a lost refresh answer burns a single-use refresh token, which no client can recover from and
which is not a fault the platforms inject on purpose (the revoked token below is).

`PUT /_sim/faults` restarts the simulator's "injected" counters, so the controller reads them
(GET) before every PUT and keeps the running total.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

KINDS = ("5xx", "429", "reset", "timeout")
BUSY = {"order", "stock", "inventory"}
TOP_UP_RATE = 0.25
FAMILIES = {
    "shopee": ("order", "product", "stock", "push"),
    "tiktok": ("order", "product", "inventory", "event"),
}


@dataclass(frozen=True)
class FaultRates:
    """Share of calls that fail per kind (the kind a family has in the current phase)."""

    error: dict[str, float] = field(
        default_factory=lambda: {"5xx": 0.05, "429": 0.05, "reset": 0.04, "timeout": 0.02}
    )
    # Longer than the clients' 15 s read timeout, so the call really times out client-side.
    hang_seconds: float = 17.0
    latency_ms: float = 15.0
    latency_jitter_ms: float = 10.0
    webhook_drop: float = 0.05
    webhook_duplicate: float = 0.10
    webhook_delay: float = 0.10
    webhook_reorder: float = 0.10
    # Scaled by the simulators' --time-factor (0.1): a delayed webhook arrives 3 s late.
    webhook_delay_seconds: float = 30.0


def profile(
    platform: str, phase: int, rates: FaultRates, seed: int, revoked: list[str]
) -> dict[str, Any]:
    families: dict[str, Any] = {}
    for j, family in enumerate(FAMILIES[platform]):
        kind = KINDS[(phase + j) % len(KINDS)]
        families[family] = {
            "error_rate": rates.error[kind],
            "error_kind": kind,
            "latency_ms": rates.latency_ms,
            "latency_jitter_ms": rates.latency_jitter_ms,
            "hang_seconds": rates.hang_seconds,
        }
    return {
        "seed": seed + phase,
        "families": families,
        "webhooks": {
            "drop": rates.webhook_drop,
            "duplicate": rates.webhook_duplicate,
            "delay": rates.webhook_delay,
            "delay_seconds": rates.webhook_delay_seconds,
            "reorder": rates.webhook_reorder,
        },
        "revoked_tokens": revoked,
    }


class FaultController:
    """Owns both simulators' fault profiles for the run and the count of what they injected."""

    def __init__(self, sims: dict[str, str], rates: FaultRates, seed: int) -> None:
        self.sims = sims  # platform -> base URL
        self.rates = rates
        self.seed = seed
        self.injected: dict[str, Counter[str]] = {p: Counter() for p in sims}
        self.revoked: dict[str, list[str]] = {p: [] for p in sims}
        self.phase = -1
        self.bursting: set[str] = set()
        self.topping_up: list[str] = []  # kinds not drawn yet, injected often (see top_up)
        self._lock = threading.Lock()
        self._http = httpx.Client(timeout=10)

    def _collect(self, platform: str) -> None:
        answer = self._http.get(f"{self.sims[platform]}/_sim/faults")
        answer.raise_for_status()
        self.injected[platform].update(answer.json().get("injected", {}))

    def _put(self, platform: str, body: dict[str, Any]) -> None:
        self._collect(platform)
        self._http.put(f"{self.sims[platform]}/_sim/faults", json=body).raise_for_status()

    def _body(self, platform: str) -> dict[str, Any]:
        """The current phase's profile, with the kinds being topped up on top of it."""
        body = profile(platform, max(self.phase, 0), self.rates, self.seed, self.revoked[platform])
        families = FAMILIES[platform]
        busy = [f for f in families if f in BUSY] + [f for f in families if f not in BUSY]
        for n, family in enumerate(busy):
            if not self.topping_up:
                break
            kind = self.topping_up[n % len(self.topping_up)]
            body["families"][family] |= {"error_rate": TOP_UP_RATE, "error_kind": kind}
        return body

    def set_phase(self, phase: int) -> None:
        with self._lock:
            self.phase = phase
            for platform in self.sims:
                if platform in self.bursting:
                    continue  # `restore` applies the phase when the burst ends
                self._put(platform, self._body(platform))

    def revoke(self, platform: str, access_token: str) -> None:
        """The platform stops accepting this access token (its refresh token still works)."""
        with self._lock:
            self.revoked[platform].append(access_token)
            if platform in self.bursting:
                body = profile(
                    platform, max(self.phase, 0), self.rates, self.seed, self.revoked[platform]
                )
                for family in body["families"].values():
                    family |= {"error_rate": 0.9, "error_kind": "5xx"}
            else:
                body = self._body(platform)
            self._put(platform, body)
            self.injected[platform]["revoked_token"] += 1

    def peek(self) -> dict[str, int]:
        """Injected so far, all platforms (the counters since the last PUT included)."""
        with self._lock:
            total: Counter[str] = Counter()
            for platform in self.sims:
                total.update(self.injected[platform])
                answer = self._http.get(f"{self.sims[platform]}/_sim/faults")
                total.update(answer.json().get("injected", {}))
            return dict(total)

    def top_up(self, kinds: list[str]) -> None:
        """A short run may draw no call of some kind: inject the missing kinds often, spread
        over every family (the busiest first: order reads and stock writes), until each has
        happened. Phase changes and the end of a burst keep them on."""
        with self._lock:
            self.topping_up = list(kinds)
            for platform in self.sims:
                if platform not in self.bursting:
                    self._put(platform, self._body(platform))

    def burst(self, platform: str, error_rate: float = 0.9) -> None:
        """A 5xx burst on every family of one platform (token refresh aside): well over the
        breakers' 50 % failure rate, so the platform's breaker must open."""
        with self._lock:
            body = profile(
                platform, max(self.phase, 0), self.rates, self.seed, self.revoked[platform]
            )
            for family in body["families"].values():
                family |= {"error_rate": error_rate, "error_kind": "5xx"}
            self._put(platform, body)
            self.bursting.add(platform)
            self.injected[platform]["5xx_burst"] += 1

    def restore(self, platform: str) -> None:
        """Back to the current phase's profile after a burst."""
        with self._lock:
            self.bursting.discard(platform)
            self._put(platform, self._body(platform))

    def stop(self) -> None:
        """No more faults (revoked tokens stay revoked: a revoked token never comes back)."""
        with self._lock:
            for platform in self.sims:
                self._put(platform, {"seed": self.seed, "revoked_tokens": self.revoked[platform]})

    def totals(self) -> dict[str, int]:
        """Everything injected up to the last PUT (call after `stop`, which collects last)."""
        with self._lock:
            total: Counter[str] = Counter()
            for counts in self.injected.values():
                total.update(counts)
            return dict(sorted(total.items()))

    def by_platform(self) -> dict[str, dict[str, int]]:
        return {p: dict(sorted(c.items())) for p, c in self.injected.items()}

    def close(self) -> None:
        self._http.close()
