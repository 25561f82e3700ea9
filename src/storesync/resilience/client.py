"""`ResilientClient`: any MarketplaceClient, wrapped so every platform call passes the breaker,
the rate limiter and the in-call retry (see the package docstring for the order and why).

Each *attempt* is admitted by the breaker, charged to the budget and recorded, so a retry is a
real call in every account; local methods (consent URL, webhook checks) pass straight through.
Iterating methods are read whole inside the attempt (every caller lists them anyway), so a
retried listing starts again from its first page instead of yielding some items twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

import structlog

from storesync.domain.platform import Platform
from storesync.errors import RateLimitError, StoreSyncError
from storesync.marketplaces.base import (
    AuthorizedShop,
    ListingRef,
    LostEventBatch,
    MarketplaceClient,
    OrderRef,
    PriceUpdate,
    RemoteOrder,
    RemoteProduct,
    RemoteStock,
    StockUpdate,
    TokenSet,
    VariantResult,
    WebhookEvent,
)
from storesync.observability import metrics
from storesync.resilience.breaker import Admission, Breakers, Outcome, outcome_of
from storesync.resilience.errors import BudgetExhaustedError, CircuitOpenError
from storesync.resilience.families import METHODS
from storesync.resilience.ratelimit import RateLimiter
from storesync.resilience.retry import NO_RETRY, RetryPolicy, call_with_retries

T = TypeVar("T")

log = structlog.get_logger(__name__)


@dataclass
class Guard:
    """Breaker + budget + retries for one breaker key (one shop, or one platform's app calls)."""

    key: str
    platform: str
    breakers: Breakers
    limiter: RateLimiter
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    def call(self, method: str, fn: Callable[[], T], *args: object) -> T:
        spec = METHODS[method]
        weight = spec.calls(*args)

        def attempt() -> T:
            return self._attempt(spec.family.value, weight, fn)

        return call_with_retries(
            attempt,
            self.retry if spec.retry_in_call else NO_RETRY,
            clock=self.clock,
            sleep=self.sleep,
            on_retry=self._count_retry,
        )

    def _attempt(self, family: str, weight: int, fn: Callable[[], T]) -> T:
        admission = self.breakers.admit(self.key)
        if not admission.allowed:
            raise self._open_error(admission)
        try:
            waited = self.limiter.acquire(self.key, self.platform, family, weight, admission.ramp)
            if waited and not admission.probe:
                # The breaker may have opened while this call waited for its budget: check again
                # so no call leaves after the breaker opened.
                refused = self.breakers.refusing(self.key)
                if refused is not None:
                    raise self._open_error(refused)
            result = fn()
        except StoreSyncError as exc:
            self.breakers.record(self.key, admission, outcome_of(exc))
            if isinstance(exc, RateLimitError) and not isinstance(exc, BudgetExhaustedError):
                self.limiter.throttled(self.key, self.platform, family)
            raise
        except BaseException:
            self.breakers.record(self.key, admission, Outcome.IGNORED)
            raise
        self.breakers.record(self.key, admission, Outcome.SUCCESS)
        return result

    def _open_error(self, admission: Admission) -> CircuitOpenError:
        return CircuitOpenError(
            f"Circuit breaker {self.key} is {admission.state.value}; retry in "
            f"{admission.retry_after:.1f} s.",
            details={"breaker": self.key, "state": admission.state.value},
            retry_after=admission.retry_after,
        )

    def _count_retry(self, error: StoreSyncError, attempt: int, wait: float) -> None:
        metrics.retries_total.labels("call", error.code.value).inc()
        log.info(
            "call_retry",
            breaker=self.key,
            code=error.code.value,
            error=type(error).__name__,
            attempt=attempt,
            wait_s=round(wait, 3),
        )


class ResilientClient:
    """A MarketplaceClient decorator; `inner` is the real client (tests and debugging)."""

    def __init__(self, inner: MarketplaceClient, guard: Guard) -> None:
        self.inner = inner
        self.guard = guard
        self.platform: Platform = inner.platform

    # consent and tokens
    def authorization_url(self, redirect_url: str, state: str) -> str:
        return self.inner.authorization_url(redirect_url, state)

    def exchange_code(self, code: str, shop_hint: str | None = None) -> list[AuthorizedShop]:
        return self.guard.call("exchange_code", lambda: self.inner.exchange_code(code, shop_hint))

    def refresh_tokens(self) -> TokenSet:
        return self.guard.call("refresh_tokens", self.inner.refresh_tokens)

    # catalog and stock
    def list_products(self, updated_since: datetime | None = None) -> Iterator[RemoteProduct]:
        products = self.guard.call(
            "list_products", lambda: list(self.inner.list_products(updated_since))
        )
        return iter(products)

    def read_stock(self, refs: Sequence[ListingRef]) -> list[RemoteStock]:
        return self.guard.call("read_stock", lambda: self.inner.read_stock(refs), refs)

    def update_stock(self, updates: Sequence[StockUpdate]) -> list[VariantResult]:
        return self.guard.call("update_stock", lambda: self.inner.update_stock(updates), updates)

    def update_prices(self, updates: Sequence[PriceUpdate]) -> list[VariantResult]:
        return self.guard.call("update_prices", lambda: self.inner.update_prices(updates), updates)

    # orders
    def list_orders(self, updated_from: datetime, updated_to: datetime) -> Iterator[OrderRef]:
        refs = self.guard.call(
            "list_orders", lambda: list(self.inner.list_orders(updated_from, updated_to))
        )
        return iter(refs)

    def get_orders(self, external_ids: Sequence[str]) -> list[RemoteOrder]:
        return self.guard.call(
            "get_orders", lambda: self.inner.get_orders(external_ids), external_ids
        )

    # pushes
    def fetch_lost_events(self) -> LostEventBatch:
        return self.guard.call("fetch_lost_events", self.inner.fetch_lost_events)

    def confirm_lost_events(self, cursor: str) -> None:
        self.guard.call("confirm_lost_events", lambda: self.inner.confirm_lost_events(cursor))

    def verify_webhook(self, *, raw_body: bytes, headers: Mapping[str, str], url: str) -> bool:
        return self.inner.verify_webhook(raw_body=raw_body, headers=headers, url=url)

    def parse_webhook(self, raw_body: bytes) -> WebhookEvent:
        return self.inner.parse_webhook(raw_body)

    def close(self) -> None:
        self.inner.close()
