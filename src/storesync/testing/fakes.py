"""Stand-ins for what a task or flow is given, so it can be called directly on a real database:

    fake = FakeClient(products=[...])
    jobs = RecordingJobs()
    push_stock(7, db=factory, clients=FakeClients(fake), jobs=jobs)
    assert [u.available for u in fake.stock_updates] == [5]

- `FakeClient` is a `MarketplaceClient` that records every call and answers from what the test
  gave it (products, orders, stock, lost pushes); it can fail on cue, refuse single variants, and
  run a callback while a call is "on the wire".
- `FakeClients` stands in for `ShopClients`: it hands out fakes instead of building clients.
- `RecordingJobs` (testing/jobs.py) stands in for `Jobs`.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy.orm import sessionmaker

from storesync.db.models import Shop
from storesync.domain.order_status import OrderStatus
from storesync.domain.platform import Platform
from storesync.errors import StoreSyncError, ValidationError
from storesync.marketplaces.base import (
    AuthorizedShop,
    EventKind,
    ListingRef,
    LostEventBatch,
    MarketplaceClient,
    OrderRef,
    PriceUpdate,
    RemoteOrder,
    RemoteProduct,
    RemoteStock,
    ShopCredentials,
    StockUpdate,
    TokenSet,
    VariantResult,
    WebhookEvent,
)
from storesync.resilience.families import LOCAL_METHODS
from storesync.shop.clients import ShopClients
from storesync.shop.crypto import TokenCipher


def token_pair(label: str = "0", now: datetime | None = None) -> TokenSet:
    """A pair as a platform grants it: access for 4 hours, refresh for 30 days."""
    now = now or datetime.now(UTC)
    return TokenSet(
        f"access-{label}", f"refresh-{label}", now + timedelta(hours=4), now + timedelta(days=30)
    )


@dataclass(frozen=True)
class Call:
    method: str
    args: tuple[Any, ...] = ()


class FakeClient(MarketplaceClient):
    """One shop on a platform that exists only in memory; everything asked of it is in `calls`.

    Platform calls (all but the local ones: consent URL, webhook checks, close) can be made to
    fail with `fail`/`fail_always`; `recover` ends that.
    """

    def __init__(
        self,
        platform: Platform = Platform.SHOPEE,
        *,
        products: Iterable[RemoteProduct] = (),
        orders: Iterable[RemoteOrder] = (),
        external_shop_id: str = "1001",
    ) -> None:
        self.platform = platform
        self.external_shop_id = external_shop_id
        self.products: list[RemoteProduct] = []
        self.orders: dict[str, RemoteOrder] = {}
        self.stock: dict[ListingRef, RemoteStock] = {}
        self.lost_events: list[WebhookEvent] = []
        self.authorized: list[AuthorizedShop] = []  # what `exchange_code` grants
        self.verifies = True  # what `verify_webhook` answers
        self.calls: list[Call] = []
        self.stock_updates: list[StockUpdate] = []
        self.price_updates: list[PriceUpdate] = []
        self.confirmed_cursors: list[str] = []
        self.closed = False
        self._failures: dict[str | None, list[BaseException]] = {}
        self._always: dict[str | None, BaseException] = {}
        self._refused: dict[ListingRef, StoreSyncError] = {}
        self._during: dict[str, list[Callable[[], None]]] = {}
        self._ids = itertools.count(1)
        self.add_products(*products)
        self.add_orders(*orders)

    # --- what the platform holds ---------------------------------------------------------------

    def add_products(self, *products: RemoteProduct) -> None:
        """List products; their variants' stock is what `read_stock` answers until written."""
        for product in products:
            self.products.append(product)
            for v in product.variants:
                self.stock[v.ref] = RemoteStock(v.ref, v.sku, v.available, v.reserved)

    def add_orders(self, *orders: RemoteOrder) -> None:
        """Add or replace orders (by external id): what `list_orders` and `get_orders` answer."""
        for order in orders:
            self.orders[order.external_id] = order

    def order_event(
        self,
        order_id: str,
        status: OrderStatus | None = None,
        *,
        event_id: str | None = None,
        kind: EventKind = EventKind.ORDER_STATUS,
    ) -> WebhookEvent:
        """A push about an order of this shop, in this fake's wire format (`webhook_body`)."""
        return self._event(
            {
                "event_id": event_id or f"{self.platform.value}-event-{next(self._ids)}",
                "kind": kind.value,
                "shop_id": self.external_shop_id,
                "order_id": order_id,
                "status": status.value if status else None,
            }
        )

    @staticmethod
    def webhook_body(event: WebhookEvent) -> bytes:
        """The raw body `parse_webhook` reads back into `event` (what the platform would POST)."""
        return json.dumps(dict(event.raw), separators=(",", ":")).encode()

    # --- scripting -----------------------------------------------------------------------------

    def fail(self, *errors: BaseException, method: str | None = None) -> FakeClient:
        """The next platform calls (to `method`, or any) raise these, one each, in turn."""
        self._failures.setdefault(method, []).extend(errors)
        return self

    def fail_always(self, error: BaseException, method: str | None = None) -> FakeClient:
        self._always[method] = error
        return self

    def recover(self) -> None:
        self._failures.clear()
        self._always.clear()

    def refuse(self, ref: ListingRef, error: StoreSyncError) -> FakeClient:
        """`update_stock` answers this variant as failed (the rest of the batch succeeds)."""
        self._refused[ref] = error
        return self

    def during(self, method: str, callback: Callable[[], None]) -> FakeClient:
        """Run `callback` inside each call to `method`, before it answers (what happens while
        the request is on the wire)."""
        self._during.setdefault(method, []).append(callback)
        return self

    @property
    def methods(self) -> list[str]:
        return [call.method for call in self.calls]

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def _call(self, method: str, *args: Any) -> None:
        self.calls.append(Call(method, args))
        if method not in LOCAL_METHODS:
            error = self._next_failure(method)
            if error is not None:
                raise error
        for callback in self._during.get(method, ()):
            callback()

    def _next_failure(self, method: str) -> BaseException | None:
        for key in (method, None):
            if key in self._always:
                return self._always[key]
        for key in (method, None):
            if self._failures.get(key):
                return self._failures[key].pop(0)
        return None

    # --- the protocol --------------------------------------------------------------------------

    def authorization_url(self, redirect_url: str, state: str) -> str:
        self._call("authorization_url", redirect_url, state)
        return f"https://consent.fake/{self.platform.value}?state={state}"

    def exchange_code(self, code: str, shop_hint: str | None = None) -> list[AuthorizedShop]:
        self._call("exchange_code", code, shop_hint)
        return list(self.authorized)

    def refresh_tokens(self) -> TokenSet:
        self._call("refresh_tokens")
        return token_pair(str(len(self.calls_to("refresh_tokens"))))

    def list_products(self, updated_since: datetime | None = None) -> Iterator[RemoteProduct]:
        self._call("list_products", updated_since)
        return iter(
            [
                p
                for p in self.products
                if updated_since is None or p.updated_at is None or p.updated_at >= updated_since
            ]
        )

    def read_stock(self, refs: Sequence[ListingRef]) -> list[RemoteStock]:
        self._call("read_stock", list(refs))
        return [self.stock[ref] for ref in refs if ref in self.stock]

    def update_stock(self, updates: Sequence[StockUpdate]) -> list[VariantResult]:
        self._call("update_stock", list(updates))
        self.stock_updates.extend(updates)
        results = []
        for u in updates:
            refused = self._refused.get(u.ref)
            if refused is not None:
                results.append(VariantResult(u.ref, ok=False, error=refused))
                continue
            held = self.stock.get(u.ref)
            self.stock[u.ref] = RemoteStock(
                u.ref, held.sku if held else None, u.available, held.reserved if held else 0
            )
            results.append(VariantResult(u.ref, ok=True, confirmed_available=u.available))
        return results

    def update_prices(self, updates: Sequence[PriceUpdate]) -> list[VariantResult]:
        self._call("update_prices", list(updates))
        self.price_updates.extend(updates)
        return [VariantResult(u.ref, ok=True) for u in updates]

    def list_orders(self, updated_from: datetime, updated_to: datetime) -> Iterator[OrderRef]:
        self._call("list_orders", updated_from, updated_to)
        inside = [o for o in self.orders.values() if updated_from <= o.updated_at <= updated_to]
        inside.sort(key=lambda o: o.updated_at)
        return iter([OrderRef(o.external_id, o.updated_at) for o in inside])

    def get_orders(self, external_ids: Sequence[str]) -> list[RemoteOrder]:
        self._call("get_orders", list(external_ids))
        return [self.orders[i] for i in external_ids if i in self.orders]

    def fetch_lost_events(self) -> LostEventBatch:
        self._call("fetch_lost_events")
        cursor = f"cursor-{len(self.confirmed_cursors) + 1}" if self.lost_events else None
        return LostEventBatch(tuple(self.lost_events), cursor, has_more=False)

    def confirm_lost_events(self, cursor: str) -> None:
        self._call("confirm_lost_events", cursor)
        self.confirmed_cursors.append(cursor)
        self.lost_events.clear()

    def verify_webhook(self, *, raw_body: bytes, headers: Mapping[str, str], url: str) -> bool:
        self._call("verify_webhook", raw_body)
        return self.verifies

    def parse_webhook(self, raw_body: bytes) -> WebhookEvent:
        self._call("parse_webhook", raw_body)
        try:
            raw = json.loads(raw_body)
            return self._event(raw)
        except (ValueError, KeyError, TypeError) as exc:
            raise ValidationError("The fake cannot parse this webhook body.") from exc

    def close(self) -> None:
        self._call("close")
        self.closed = True

    def _event(self, raw: dict[str, Any]) -> WebhookEvent:
        status = raw.get("status")
        return WebhookEvent(
            platform=self.platform,
            event_id=str(raw["event_id"]),
            kind=EventKind(raw["kind"]),
            external_shop_id=raw.get("shop_id"),
            order_external_id=raw.get("order_id"),
            status=OrderStatus(status) if status else None,
            raw_status=status,
            occurred_at=None,
            raw=raw,
        )


def _builds_nothing(*_: object) -> MarketplaceClient:
    raise AssertionError("FakeClients hands out the fakes it was given; it builds no client")


class FakeClients:
    """Stands in for `ShopClients` (shop/clients.py): `for_shop` and `for_app` hand out the fakes
    given (per shop id, else the default one). Stored tokens are encrypted as for real, with a key
    of this instance's own, so plaintext never reaches the database here either."""

    def __init__(
        self,
        client: MarketplaceClient | None = None,
        *,
        shops: Mapping[int, MarketplaceClient] | None = None,
        app: MarketplaceClient | None = None,
    ) -> None:
        self.client = client
        self.shops = dict(shops or {})
        self.app = app
        self.stale: set[int] = set()  # shop ids whose stored pair `is_stale` reports as newer
        self.forgotten: list[int] = []
        self.closed = False
        # The real credential storage, with a builder that is never called.
        self._stored = ShopClients(
            build=_builds_nothing,
            cipher=TokenCipher(Fernet.generate_key().decode()),
            session_factory=sessionmaker(),
        )

    def for_shop(self, shop: Shop) -> MarketplaceClient:
        client = self.shops.get(shop.id, self.client)
        if client is None:
            raise LookupError(f"FakeClients has no client for shop {shop.id}")
        return client

    def for_app(self, platform: Platform) -> MarketplaceClient:
        client = self.app or self.client
        if client is None:
            raise LookupError(f"FakeClients has no app client for {platform.value}")
        return client

    def is_stale(self, shop: Shop) -> bool:
        return shop.id in self.stale

    def forget(self, shop_id: int) -> None:
        self.forgotten.append(shop_id)

    def credentials(self, shop: Shop) -> ShopCredentials:
        return self._stored.credentials(shop)

    def store_tokens(self, shop: Shop, tokens: TokenSet) -> None:
        self._stored.store_tokens(shop, tokens)

    def close(self) -> None:
        self.closed = True
