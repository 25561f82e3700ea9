"""The one interface every marketplace client implements, and the neutral values it speaks.

Nothing here knows a vendor's field names, codes or quirks: those live only in
`marketplaces/<platform>/`. Features see `MarketplaceClient` and these dataclasses, never httpx
responses or vendor JSON.

Units and conventions (the same on every platform):
- ids are strings (Shopee's are int64, TikTok's already strings; strings keep both exact);
- datetimes are timezone-aware UTC;
- money is `Decimal`, never float;
- stock is what a BUYER can order (`available`) plus what open orders hold (`reserved`); each
  client translates to its platform's own notion of stock
  (docs/platforms/shopee.md#what-stock-means, docs/platforms/tiktok.md#what-stock-means).

The API is synchronous on purpose: callers are Dramatiq worker threads and FastAPI sync endpoints
(run in a threadpool); one client instance per shop is safe to share across threads.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from storesync.domain.order_status import OrderStatus
from storesync.domain.platform import Platform
from storesync.errors import StoreSyncError

# --- credentials ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TokenSet:
    access_token: str
    refresh_token: str
    access_expires_at: datetime
    refresh_expires_at: datetime

    def __repr__(self) -> str:
        # Tokens end up in tracebacks and logs via repr; never print the secrets themselves.
        return (
            f"TokenSet(access_expires_at={self.access_expires_at.isoformat()}, "
            f"refresh_expires_at={self.refresh_expires_at.isoformat()})"
        )


@dataclass(frozen=True, slots=True)
class ShopCredentials:
    """What a client needs to act for one shop. `extra` is platform data that is not secret."""

    external_shop_id: str
    tokens: TokenSet
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuthorizedShop:
    """One shop a seller granted us on the consent page."""

    external_shop_id: str
    name: str
    region: str | None
    tokens: TokenSet
    extra: Mapping[str, str] = field(default_factory=dict)

    def credentials(self) -> ShopCredentials:
        return ShopCredentials(self.external_shop_id, self.tokens, self.extra)


# --- catalog and stock ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, order=True)
class ListingRef:
    """Where one variant lives on a platform: the item/product and the variant within it.

    Items without variants still have a variant id (the platform's "default" variant id).
    """

    external_item_id: str
    external_variant_id: str


class ListingStatus(enum.StrEnum):
    ACTIVE = "active"  # buyers can see and buy it
    INACTIVE = "inactive"  # hidden by the seller
    UNDER_REVIEW = "under_review"  # waiting for the platform (draft, audit)
    BANNED = "banned"  # hidden by the platform
    DELETED = "deleted"


class _AtRef:
    """The item and variant ids of something that sits at a `ref`, for callers that store them."""

    __slots__ = ()
    ref: ListingRef

    @property
    def external_item_id(self) -> str:
        return self.ref.external_item_id

    @property
    def external_variant_id(self) -> str:
        return self.ref.external_variant_id


@dataclass(frozen=True, slots=True)
class RemoteVariant(_AtRef):
    ref: ListingRef
    sku: str | None
    price: Decimal
    currency: str | None
    available: int  # what a buyer can order now
    reserved: int  # held by the platform's open orders


@dataclass(frozen=True, slots=True)
class RemoteProduct:
    external_id: str
    name: str
    status: ListingStatus
    raw_status: str
    updated_at: datetime | None
    variants: tuple[RemoteVariant, ...]


@dataclass(frozen=True, slots=True)
class RemoteStock:
    ref: ListingRef
    sku: str | None
    available: int
    reserved: int


@dataclass(frozen=True, slots=True)
class StockUpdate:
    """Set `ref` so buyers can order exactly `available` units.

    `reserved_here` is how many units this shop's open orders hold by our records; platforms
    whose writable stock includes their own reservations need it to compute the value to write.
    """

    ref: ListingRef
    available: int
    reserved_here: int = 0

    def __post_init__(self) -> None:
        if self.available < 0 or self.reserved_here < 0:
            raise ValueError("available and reserved_here must be >= 0")


@dataclass(frozen=True, slots=True)
class PriceUpdate:
    ref: ListingRef
    price: Decimal
    currency: str

    def __post_init__(self) -> None:
        if self.price < 0:
            raise ValueError("price must be >= 0")


@dataclass(frozen=True, slots=True)
class VariantResult:
    """The outcome of one variant inside a batched write; failures never raise for the batch."""

    ref: ListingRef
    ok: bool
    confirmed_available: int | None = None
    error: StoreSyncError | None = None


# --- orders --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderRef:
    external_id: str
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RemoteOrderLine(_AtRef):
    ref: ListingRef
    sku: str | None
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True, slots=True)
class RemoteOrder:
    external_id: str
    status: OrderStatus
    raw_status: str
    created_at: datetime
    updated_at: datetime
    currency: str | None
    lines: tuple[RemoteOrderLine, ...]


# --- webhooks ------------------------------------------------------------------------------------


class EventKind(enum.StrEnum):
    ORDER_STATUS = "order_status"  # an order moved; `status` says where when the push tells
    ORDER_CANCELLATION = "order_cancellation"  # a cancellation was requested/decided
    ORDER_RETURN = "order_return"  # a return/refund moved
    STOCK = "stock"  # the platform's reservations or inventory changed
    PRODUCT = "product"  # a listing changed (status, audit, content)
    AUTHORIZATION = "authorization"
    DEAUTHORIZATION = "deauthorization"
    AUTH_EXPIRING = "auth_expiring"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """One platform push, verified and parsed. `raw` keeps the whole payload for the record.

    `event_id` is stable across redeliveries of the same push, so receivers dedupe on
    (platform, event_id).
    """

    platform: Platform
    event_id: str
    kind: EventKind
    external_shop_id: str | None
    order_external_id: str | None
    status: OrderStatus | None
    raw_status: str | None
    occurred_at: datetime | None
    raw: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class LostEventBatch:
    """Pushes the platform failed to deliver. Confirm `cursor` once they are stored."""

    events: tuple[WebhookEvent, ...]
    cursor: str | None
    has_more: bool


# --- the protocol --------------------------------------------------------------------------------


@runtime_checkable
class MarketplaceClient(Protocol):
    """One shop on one platform (or, without credentials, the app itself: consent and webhooks).

    Every method raises only `StoreSyncError` subclasses. An expired access token is refreshed
    once inside the call; new tokens are reported through the client's `on_tokens` callback.
    """

    platform: Platform

    # consent and tokens
    def authorization_url(self, redirect_url: str, state: str) -> str: ...
    def exchange_code(self, code: str, shop_hint: str | None = None) -> list[AuthorizedShop]: ...
    def refresh_tokens(self) -> TokenSet: ...

    # catalog and stock
    def list_products(self, updated_since: datetime | None = None) -> Iterator[RemoteProduct]: ...
    def read_stock(self, refs: Sequence[ListingRef]) -> list[RemoteStock]: ...
    def update_stock(self, updates: Sequence[StockUpdate]) -> list[VariantResult]: ...
    def update_prices(self, updates: Sequence[PriceUpdate]) -> list[VariantResult]: ...

    # orders
    def list_orders(self, updated_from: datetime, updated_to: datetime) -> Iterator[OrderRef]: ...
    def get_orders(self, external_ids: Sequence[str]) -> list[RemoteOrder]: ...

    # pushes
    def fetch_lost_events(self) -> LostEventBatch: ...
    def confirm_lost_events(self, cursor: str) -> None: ...
    def verify_webhook(self, *, raw_body: bytes, headers: Mapping[str, str], url: str) -> bool: ...
    def parse_webhook(self, raw_body: bytes) -> WebhookEvent: ...

    def close(self) -> None: ...
