"""Injectable faults: the JSON of `--faults FILE` and of `PUT/GET /_sim/faults`.

Everything is deterministic under `FaultProfile.seed`: each endpoint family draws from its own
random stream seeded from (seed, family), and webhooks from another, so the fault sequence one
family sees does not depend on how calls of other families interleave (which, with concurrent
clients, is not reproducible). Same seed + same calls per family = same faults.

Example profile::

    {"seed": 7,
     "families": {"order": {"error_rate": 0.2, "error_kind": "5xx"},
                  "*": {"latency_ms": 50, "latency_jitter_ms": 20}},
     "webhooks": {"drop": 0.1, "duplicate": 0.1, "reorder": 0.05},
     "revoked_tokens": ["..."],
     "rate_limits": {"stock": 5}}
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# "permission": the platform refuses the call for missing rights (scope, banned shop), as when
# a seller grants an app fewer permissions than it needs.
FaultKind = Literal["5xx", "429", "timeout", "reset", "permission"]


class _Strict(BaseModel):
    # A typo in a fault file ("eror_rate") must fail loudly, not silently inject nothing.
    model_config = ConfigDict(extra="forbid")


class FamilyFaults(_Strict):
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    error_kind: FaultKind = "5xx"
    latency_ms: float = Field(default=0.0, ge=0.0)
    latency_jitter_ms: float = Field(default=0.0, ge=0.0)
    hang_seconds: float = Field(default=30.0, ge=0.0)


class WebhookFaults(_Strict):
    drop: float = Field(default=0.0, ge=0.0, le=1.0)
    duplicate: float = Field(default=0.0, ge=0.0, le=1.0)
    delay: float = Field(default=0.0, ge=0.0, le=1.0)
    delay_seconds: float = Field(default=5.0, ge=0.0)
    reorder: float = Field(default=0.0, ge=0.0, le=1.0)


class FaultProfile(_Strict):
    seed: int = 0
    families: dict[str, FamilyFaults] = Field(default_factory=dict)
    webhooks: WebhookFaults = Field(default_factory=WebhookFaults)
    revoked_tokens: list[str] = Field(default_factory=list)
    rate_limits: dict[str, float] = Field(default_factory=dict)

    def family(self, family: str) -> FamilyFaults | None:
        """The settings for `family`, falling back to the "*" entry."""
        return self.families.get(family) or self.families.get("*")

    def rate_limit(self, family: str) -> float:
        """Calls per second allowed for `family`; 0 = unlimited."""
        return self.rate_limits.get(family, self.rate_limits.get("*", 0.0))


@dataclass(frozen=True)
class Decision:
    """What to do with one API call. `kind` None = serve normally (after `latency_s`)."""

    kind: str | None
    latency_s: float
    hang_seconds: float = 0.0


@dataclass(frozen=True)
class WebhookDecision:
    drop: bool = False
    duplicate: bool = False
    delay_s: float = 0.0
    reorder: bool = False


class FaultInjector:
    def __init__(self, profile: FaultProfile | None = None) -> None:
        self._lock = threading.Lock()
        self.profile = profile or FaultProfile()
        self.injected: Counter[str] = Counter()
        self._streams: dict[str, random.Random] = {}

    def set_profile(self, profile: FaultProfile) -> None:
        """Replace the profile and re-seed every stream (so a PUT restarts the sequence)."""
        with self._lock:
            self.profile = profile
            self._streams = {}
            self.injected = Counter()

    def _stream(self, name: str) -> random.Random:
        rng = self._streams.get(name)
        if rng is None:
            # A string seed is hashed with SHA-512 by `random`, so it is stable across runs
            # and Python versions (unlike hash()).
            rng = self._streams[name] = random.Random(f"{self.profile.seed}:{name}")
        return rng

    def decide(self, family: str) -> Decision:
        with self._lock:
            cfg = self.profile.family(family)
            if cfg is None:
                return Decision(kind=None, latency_s=0.0)
            rng = self._stream(f"family:{family}")
            # Always draw both numbers so changing one knob does not shift the other's sequence.
            r_error, r_jitter = rng.random(), rng.random()
            latency_ms = cfg.latency_ms + (r_jitter * 2 - 1) * cfg.latency_jitter_ms
            latency_s = max(0.0, latency_ms) / 1000.0
            if r_error < cfg.error_rate:
                self.injected[cfg.error_kind] += 1
                return Decision(cfg.error_kind, latency_s, cfg.hang_seconds)
            if latency_s > 0:
                self.injected["latency"] += 1
            return Decision(kind=None, latency_s=latency_s)

    def webhook(self) -> WebhookDecision:
        with self._lock:
            cfg = self.profile.webhooks
            rng = self._stream("webhooks")
            r_drop, r_dup, r_delay, r_reorder = (rng.random() for _ in range(4))
            if r_drop < cfg.drop:
                self.injected["webhook_drop"] += 1
                return WebhookDecision(drop=True)
            decision = WebhookDecision(
                duplicate=r_dup < cfg.duplicate,
                delay_s=cfg.delay_seconds if r_delay < cfg.delay else 0.0,
                reorder=r_reorder < cfg.reorder,
            )
            for name, hit in (
                ("webhook_duplicate", decision.duplicate),
                ("webhook_delay", decision.delay_s > 0),
                ("webhook_reorder", decision.reorder),
            ):
                if hit:
                    self.injected[name] += 1
            return decision

    def is_revoked(self, access_token: str) -> bool:
        with self._lock:
            return access_token in self.profile.revoked_tokens

    def revoke(self, access_token: str) -> None:
        """Add a token to the revoked list at run time (e.g. from a test)."""
        with self._lock:
            if access_token not in self.profile.revoked_tokens:
                self.profile = self.profile.model_copy(
                    update={"revoked_tokens": [*self.profile.revoked_tokens, access_token]}
                )
            self.injected["revoked"] += 1

    def injected_counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self.injected)
