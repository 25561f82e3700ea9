"""A fake clock and a scripted fake client for the resilience unit tests."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from storesync.domain.platform import Platform
from storesync.marketplaces.base import (
    AuthorizedShop,
    ListingRef,
    LostEventBatch,
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


class ScriptedClient:
    """A MarketplaceClient whose shop calls raise the scripted errors in turn, then succeed."""

    platform = Platform.SHOPEE

    def __init__(self, *errors: BaseException, always: BaseException | None = None) -> None:
        self.errors = list(errors)
        self.always = always
        self.calls: list[str] = []

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if self.always is not None:
            raise self.always
        if self.errors:
            raise self.errors.pop(0)

    def authorization_url(self, redirect_url: str, state: str) -> str:
        return f"https://consent?state={state}"

    def exchange_code(self, code: str, shop_hint: str | None = None) -> list[AuthorizedShop]:
        self._call("exchange_code")
        return []

    def refresh_tokens(self) -> TokenSet:
        self._call("refresh_tokens")
        raise AssertionError("not scripted")

    def list_products(self, updated_since: datetime | None = None) -> Iterator[RemoteProduct]:
        self._call("list_products")
        return iter(())

    def read_stock(self, refs: Sequence[ListingRef]) -> list[RemoteStock]:
        self._call("read_stock")
        return []

    def update_stock(self, updates: Sequence[StockUpdate]) -> list[VariantResult]:
        self._call("update_stock")
        return [VariantResult(u.ref, ok=True, confirmed_available=u.available) for u in updates]

    def update_prices(self, updates: Sequence[PriceUpdate]) -> list[VariantResult]:
        self._call("update_prices")
        return []

    def list_orders(self, updated_from: datetime, updated_to: datetime) -> Iterator[OrderRef]:
        self._call("list_orders")
        return iter([OrderRef("A"), OrderRef("B")])

    def get_orders(self, external_ids: Sequence[str]) -> list[RemoteOrder]:
        self._call("get_orders")
        return []

    def fetch_lost_events(self) -> LostEventBatch:
        self._call("fetch_lost_events")
        return LostEventBatch((), None, False)

    def confirm_lost_events(self, cursor: str) -> None:
        self._call("confirm_lost_events")

    def verify_webhook(self, *, raw_body: bytes, headers: Mapping[str, str], url: str) -> bool:
        return True

    def parse_webhook(self, raw_body: bytes) -> WebhookEvent:
        raise AssertionError("not scripted")

    def close(self) -> None:
        self.calls.append("close")


def sample(name: str, labels: dict[str, str]) -> float:
    from storesync.observability.metrics import REGISTRY

    value: Any = REGISTRY.get_sample_value(name, labels)
    return float(value or 0.0)
