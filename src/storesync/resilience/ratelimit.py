"""Outbound rate limits per shop and endpoint family, adaptive on 429 and ramped after recovery.

The budget is a GCRA (pyrate-limiter's constant-state algorithm: one timestamp per key, atomic
in a lock or a Redis Lua script), so every process spends the same budget when state is in Redis.
The rate is passed on every check, which is what makes it adaptive without new buckets:

    rate = budget * adaptive factor (per shop+family) * ramp fraction (per shop's breaker)

- **Adaptive**: a platform 429 halves the factor (one halving per 1 s, so a burst of 429s
  counts once), down to 5 % of the budget; each 10 s window without a 429 adds back 10 %
  (additive increase, multiplicative decrease: the classic AIMD that converges on a fair rate).
- **Ramp**: after a breaker closes, traffic comes back at 10 → 25 → 50 → 100 % (breaker.py).
- **Waiting**: a call blocks while the wait stays under `max_wait_s` (2 s); beyond that it raises
  `BudgetExhaustedError(retry_after=…)` and the job waits in the queue instead of a thread.
- **Recorded**: each reduction is also written to the database (`on_lowered`), the truth the
  shared state is rebuilt from (`recall`) when Redis lost it or does not answer, so a Redis
  restart does not put a throttled shop back at its full rate. Checked at most every
  `RECALL_CACHE_S` per key and process, since the budget is consulted on every call.

Default budgets (calls per second per shop and family; `STORESYNC_RATELIMIT_*` to change them):
Shopee publishes no numbers (every documented `rate_limit` is 0), so 10/s is a conservative
guess that its 429s then adapt; TikTok documents ~50 QPS per API per *app*, shared by all our
shops, so 10/s per shop leaves room for five busy shops before its 429s adapt us down. Token and
push calls are rare and get 2/s and 5/s.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog
from pyrate_limiter import GCRA, Decision, Rate

from storesync.observability import metrics
from storesync.resilience.errors import BudgetExhaustedError
from storesync.resilience.state import Doc, SharedState, StateUnavailableError

log = structlog.get_logger(__name__)

FAMILY_DEFAULT_RPS: Mapping[str, float] = {"auth": 2.0, "push": 5.0}
_GCRA = GCRA()
RECALL_CACHE_S = 10.0  # one quiet window: a rebuilt reduction is at most one step stale

# (scope, family, {"factor", "at"}) → None: write a reduction down; (scope, family) → doc or None
OnLowered = Callable[[str, str, Doc], None]
RecallReduction = Callable[[str, str], Doc | None]


@dataclass(frozen=True)
class Budget:
    rps: float
    burst: int


@dataclass(frozen=True)
class Budgets:
    default_rps: float = 10.0
    burst: int = 10
    # "platform:family" or "family" → calls per second; the more specific key wins.
    overrides: Mapping[str, float] = field(default_factory=dict)

    def budget(self, platform: str, family: str) -> Budget:
        rps = self.overrides.get(
            f"{platform}:{family}",
            self.overrides.get(family, FAMILY_DEFAULT_RPS.get(family, self.default_rps)),
        )
        # A burst of at most one second's worth: a slow family must not fire 10 calls at once.
        return Budget(rps, max(1, min(self.burst, math.ceil(rps))))


@dataclass(frozen=True)
class AdaptivePolicy:
    decrease: float = 0.5
    floor: float = 0.05
    step: float = 0.1
    window_s: float = 10.0
    dedupe_s: float = 1.0


def factor_at(doc: Doc | None, now: float, policy: AdaptivePolicy) -> float:
    """The adaptive factor now: the last drop plus one step per quiet window since, at most 1."""
    if doc is None:
        return 1.0
    windows = int(max(0.0, now - float(doc["at"])) // policy.window_s)
    return min(1.0, float(doc["factor"]) + windows * policy.step)


def after_throttle(doc: Doc | None, now: float, policy: AdaptivePolicy) -> Doc | None:
    """The state after a platform 429, or None when this 429 belongs to a drop just made."""
    if doc is not None and now - float(doc["at"]) < policy.dedupe_s:
        return None
    current = factor_at(doc, now, policy)
    return {"factor": max(policy.floor, current * policy.decrease), "at": now}


def effective_rate(budget: Budget, fraction: float) -> Rate:
    """The GCRA rate for `fraction` of `budget` (burst scaled too, never below one call)."""
    fraction = min(1.0, max(fraction, 1e-3))
    rps = budget.rps * fraction
    burst = max(1, math.floor(budget.burst * fraction))
    return Rate(burst, max(1, round(burst * 1000 / rps)), burst)


class RateLimiter:
    def __init__(
        self,
        state: SharedState,
        budgets: Budgets,
        adaptive: AdaptivePolicy | None = None,
        *,
        max_wait_s: float = 2.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        on_lowered: OnLowered | None = None,
        recall: RecallReduction | None = None,
    ) -> None:
        self.state = state
        self.budgets = budgets
        self.adaptive = adaptive or AdaptivePolicy()
        self.max_wait_s = max_wait_s
        # Wall time, not monotonic: with Redis the timestamps are compared across machines.
        self.clock = clock
        self.sleep = sleep
        self.on_lowered = on_lowered
        self.recall = recall
        self._recalled: dict[str, tuple[float, Doc | None]] = {}

    def factor(self, scope: str, family: str) -> float:
        key = f"adapt:{scope}:{family}"
        now = self.clock()
        try:
            doc = self.state.get(key)
            if doc is None:
                doc = self._rebuild(key, scope, family, now)
        except StateUnavailableError:
            doc = self._recorded(key, scope, family, now)
        return factor_at(doc, now, self.adaptive)

    def _recorded(self, key: str, scope: str, family: str, now: float) -> Doc | None:
        if self.recall is None:
            return None
        cached = self._recalled.get(key)
        if cached is None or now - cached[0] >= RECALL_CACHE_S:
            try:
                doc = self.recall(scope, family)
            except Exception as exc:
                log.warning("rate_limit_recall_failed", scope=scope, error=type(exc).__name__)
                doc = None
            cached = self._recalled[key] = (now, doc)
        return cached[1]

    def _rebuild(self, key: str, scope: str, family: str, now: float) -> Doc | None:
        """A reduction Redis lost (restart) but the database still holds goes back in."""
        doc = self._recorded(key, scope, family, now)
        if doc is None or factor_at(doc, now, self.adaptive) >= 1.0:
            return None  # none recorded, or fully recovered since
        self.state.update(key, lambda current: (None, None) if current else (doc, None), 3600)
        return doc

    def acquire(
        self, scope: str, platform: str, family: str, weight: int = 1, ramp: float = 1.0
    ) -> float:
        """Spend `weight` calls of the budget, blocking up to `max_wait_s`; seconds waited."""
        budget = self.budgets.budget(platform, family)
        waited = 0.0
        try:
            store = self.state.gcra(f"rate:{scope}:{family}")
            while True:
                rate = effective_rate(budget, self.factor(scope, family) * ramp)
                cost = min(weight, rate.burst)  # a bigger batch could never fit; see families
                decision = store.check(_GCRA, [rate], round(self.clock() * 1000), cost)
                assert isinstance(decision, Decision)
                if decision.allowed:
                    metrics.rate_limit_wait_seconds.labels(platform, family).observe(waited)
                    return waited
                wait = max(decision.retry_after_ms or 1, 1) / 1000
                if waited + wait > self.max_wait_s:
                    metrics.rate_limit_deferred_total.labels(platform, family).inc()
                    raise BudgetExhaustedError(
                        f"{scope} {family}: rate budget spent for the next {wait:.1f} s.",
                        details={
                            "breaker": scope,
                            "family": family,
                            "rate_per_s": rate_per_s(rate),
                        },
                        retry_after=wait,
                    )
                self.sleep(wait)
                waited += wait
        except StateUnavailableError as exc:
            log.warning("rate_limit_state_unavailable", scope=scope, family=family, error=str(exc))
            return waited

    def throttled(self, scope: str, platform: str, family: str) -> None:
        """The platform answered 429: slow this shop+family down (once per burst of 429s)."""
        now = self.clock()

        def drop(doc: Doc | None) -> tuple[Doc | None, Doc | None]:
            new = after_throttle(doc, now, self.adaptive)
            return new, new

        try:
            # An hour: recovery to the full budget takes 10 windows (100 s) at most.
            new = self.state.update(f"adapt:{scope}:{family}", drop, 3600)
        except StateUnavailableError:
            return
        if new is not None:
            metrics.rate_limit_throttles_total.labels(platform, family).inc()
            log.info("rate_limit_lowered", scope=scope, family=family, factor=new["factor"])
            self._recalled.pop(f"adapt:{scope}:{family}", None)
            if self.on_lowered is not None:
                try:
                    self.on_lowered(scope, family, new)
                except Exception:
                    # Events fail softly: a lost record costs at most one rebuild after a restart.
                    log.exception("rate_limit_record_failed", scope=scope, family=family)

    def describe(self, scope: str, platform: str, family: str, ramp: float = 1.0) -> dict[str, Any]:
        budget = self.budgets.budget(platform, family)
        factor = self.factor(scope, family)
        return {
            "family": family,
            "budget_per_s": budget.rps,
            "factor": round(factor, 3),
            "rate_per_s": round(budget.rps * factor * ramp, 3),
        }


def rate_per_s(rate: Rate) -> float:
    return round(rate.limit * 1000 / rate.interval, 3)
