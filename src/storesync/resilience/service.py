"""`Resilience`: one per process, built by bootstrap. It wraps every client, and offers the
operator actions (list, reset, force-open) the API and CLI share."""

from __future__ import annotations

import functools
import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from storesync.config import Settings
from storesync.domain.platform import Platform
from storesync.errors import NotFoundError, ValidationError
from storesync.marketplaces.base import MarketplaceClient
from storesync.observability import metrics
from storesync.observability.health import HealthCheck
from storesync.resilience.breaker import (
    REFUSING,
    BreakerPolicy,
    Breakers,
    BreakerView,
    State,
    Transition,
    platform_of,
)
from storesync.resilience.client import Guard, ResilientClient
from storesync.resilience.events import (
    history_recorder,
    observe,
    recorded_reduction,
    recorded_state,
    reduction_recorder,
)
from storesync.resilience.families import Family
from storesync.resilience.ratelimit import AdaptivePolicy, Budgets, RateLimiter
from storesync.resilience.retry import RetryPolicy
from storesync.resilience.state import (
    PREFIX,
    MemoryState,
    RedisState,
    SharedState,
    StateUnavailableError,
)

APP = "app"  # the shop part of the key of a platform's app-level calls (consent, code exchange)


def breaker_key(platform: Platform | str, shop_id: int | None) -> str:
    return f"{Platform(platform).value}:{APP if shop_id is None else shop_id}"


def parse_key(key: str) -> tuple[Platform, int | None]:
    """("shopee", 12) from "shopee:12"; ValidationError for anything else."""
    platform, _, shop = key.partition(":")
    try:
        return Platform(platform), (None if shop == APP else int(shop))
    except ValueError:
        raise ValidationError(
            f"{key!r} is not a breaker key: use <platform>:<shop id> or <platform>:app.",
            details={"key": key},
        ) from None


@dataclass
class Resilience:
    breakers: Breakers
    limiter: RateLimiter
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep

    def guard(self, platform: Platform | str, shop_id: int | None) -> Guard:
        return Guard(
            key=breaker_key(platform, shop_id),
            platform=Platform(platform).value,
            breakers=self.breakers,
            limiter=self.limiter,
            retry=self.retry,
            sleep=self.sleep,
        )

    def wrap(self, client: MarketplaceClient, shop_id: int | None) -> MarketplaceClient:
        return ResilientClient(client, self.guard(client.platform, shop_id))

    # --- operator actions ---------------------------------------------------------------------

    def view(self, key: str) -> BreakerView:
        parse_key(key)
        return self.breakers.view(key)

    def views(self, keys: list[str] | None = None) -> list[BreakerView]:
        """Every breaker with state, plus closed ones for `keys` (e.g. every connected shop)."""
        found = {v.key: v for v in self.breakers.views()}
        for key in keys or []:
            if key not in found:
                found[key] = self.breakers.view(key)
        return sorted(found.values(), key=lambda v: v.key)

    def reset(self, key: str, actor: str, reason: str) -> Transition:
        parse_key(key)
        return self.breakers.reset(key, actor, _reason(reason))

    def force_open(self, key: str, actor: str, reason: str) -> Transition:
        parse_key(key)
        return self.breakers.force_open(key, actor, _reason(reason))

    def rates(self, key: str) -> list[dict[str, Any]]:
        platform, _ = parse_key(key)
        ramp = self.breakers.view(key).ramp_percent / 100
        return [self.limiter.describe(key, platform.value, family.value, ramp) for family in Family]

    # --- health and metrics -------------------------------------------------------------------

    def health_checks(self) -> list[HealthCheck]:
        return [HealthCheck(f"breakers_{p.value}", self._health_check(p)) for p in Platform]

    def _health_check(self, platform: Platform) -> Callable[[], dict[str, Any]]:
        def check() -> dict[str, Any]:
            try:
                views = self.views()
            except StateUnavailableError as exc:
                return {"status": "down", "error": str(exc)[:200]}
            mine = [v for v in views if platform_of(v.key) == platform.value]
            refusing = [v.key for v in mine if v.state in REFUSING]
            probing = [v.key for v in mine if v.state is State.HALF_OPEN]
            return {
                # Degraded, not down: the other shops and platforms keep syncing.
                "status": "degraded" if refusing or probing else "ok",
                "open": len(refusing),
                "half_open": len(probing),
                "tracked": len(mine),
                "open_breakers": refusing[:20],
            }

        return check

    def open_count(self, platform: Platform) -> float:
        """Breakers refusing calls on `platform` now, read from the shared state when scraped.
        A gauge set on transitions went stale in every process that missed the closing one
        (scaled out, one worker saw the opening, another the close). NaN when the state cannot
        be read: no answer beats a wrong zero."""
        try:
            views = self.breakers.views()
        except StateUnavailableError:
            return math.nan
        return sum(1 for v in views if platform_of(v.key) == platform.value and v.state in REFUSING)

    def publish_gauges(self) -> None:
        for platform in Platform:
            gauge = metrics.breaker_state.labels(platform.value)
            gauge.set_function(functools.partial(self.open_count, platform))


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why: a reason is required for a manual breaker action.")
    return reason


def require_known(key: str, exists: Callable[[int], bool]) -> None:
    """NotFoundError unless the key's shop exists (app keys always exist)."""
    _, shop_id = parse_key(key)
    if shop_id is not None and not exists(shop_id):
        raise NotFoundError(f"No shop {shop_id} for breaker {key}.", details={"key": key})


def redis_namespace(database_url: str) -> str:
    """Keys per database: breaker keys carry shop ids, which mean something only in their own
    database, so two deployments (or test runs) sharing one Redis never see each other's
    breakers. Host and credentials are left out, so every process of one deployment agrees
    however it spells the server's address."""

    url = make_url(database_url)
    identity = f"{url.get_backend_name()}|{url.database}|{sorted(url.query.items())}"
    return f"{PREFIX}{hashlib.sha256(identity.encode()).hexdigest()[:12]}:"


def build_resilience(
    settings: Settings,
    redis: Any | None,
    records: sessionmaker[Session] | None = None,
    reads: sessionmaker[Session] | None = None,
) -> Resilience:
    """`records`: where breaker transitions and rate reductions are written; being the truth,
    they are read back (through the read-only `reads`, default `records`) when the shared state
    lost them."""
    state: SharedState = (
        RedisState(redis, redis_namespace(settings.effective_database_url))
        if redis is not None
        else MemoryState()
    )
    breakers = Breakers(
        state,
        BreakerPolicy(
            failure_rate=settings.breaker_failure_rate,
            min_calls=settings.breaker_min_calls,
            window_s=settings.breaker_window_s,
            open_s=settings.breaker_open_s,
            probes=settings.breaker_probes,
            ramp_step_s=settings.breaker_ramp_step_s,
        ),
    )
    limiter = RateLimiter(
        state,
        Budgets(
            default_rps=settings.ratelimit_rps,
            burst=settings.ratelimit_burst,
            overrides=dict(settings.ratelimit_family_rps),
        ),
        AdaptivePolicy(window_s=settings.ratelimit_recovery_window_s),
        max_wait_s=settings.ratelimit_max_wait_s,
    )
    resilience = Resilience(
        breakers,
        limiter,
        RetryPolicy(
            attempts=settings.retry_attempts,
            budget_s=settings.retry_budget_s,
            base_s=settings.retry_base_s,
            cap_s=settings.retry_cap_s,
        ),
    )
    breakers.listeners.append(observe)
    resilience.publish_gauges()
    if records is not None:
        reads = reads or records
        breakers.listeners.append(history_recorder(records))
        breakers.recall = recorded_state(reads, breakers.policy, breakers.clock)
        limiter.on_lowered = reduction_recorder(records)
        limiter.recall = recorded_reduction(reads)
    return resilience
