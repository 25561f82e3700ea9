"""Reconciliation: read back what every platform really shows, compare with what we want there,
and heal the difference through the normal push path.

Webhooks get lost and pushes can land out of order; platforms also change stock themselves (a
seller editing it in the platform's back office). Reconciliation is the layer that covers anything
the in-call and queue retries gave up on (docs/reliability.md#retry-layers), the way Shopify tells
apps to run reconciliation jobs because webhook delivery is not guaranteed.

Stock: each listing's buyer-orderable quantity on the platform is compared with
`Listing.desired_qty` (the master's available). A drifted listing gets `confirmed_qty` set to what
the platform really shows, which makes it dirty, so the ordinary push job writes it: one code path
for every push. Orders: the platform's orders of the last 24 h are compared with ours and missing
(or stale) ones are imported through the ordinary intake.

Never holds a transaction across a platform call: snapshot, read, then write in short steps.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storesync.db.base import utcnow
from storesync.db.engine import unit_of_work
from storesync.db.models import Listing, Order, Shop
from storesync.marketplaces.base import ListingRef, MarketplaceClient, RemoteStock
from storesync.order import intake as order_sync
from storesync.order.service import OrderServiceFactory

READ_BATCH = 200  # refs per read_stock call; the clients split further to the platform's limits
ORDER_WINDOW = timedelta(hours=24)  # platforms retry webhooks for up to a day (Shopify, TikTok)
MAX_ORDERS_IMPORTED = 2_000  # bounds one pass; the next pass (or polling) takes the rest

DirtyHook = Callable[[Session, int], None]


def _no_hook(_: Session, __: int) -> None:
    return None


class StockState(enum.StrEnum):
    IN_SYNC = "in_sync"  # the platform shows what we want
    DRIFTED = "drifted"  # we believed it in sync, the platform shows something else
    PENDING = "pending"  # a push is already due (dirty); the platform differs meanwhile
    MISSING = "missing"  # the platform no longer has the listing


@dataclass(frozen=True)
class ListingSnapshot:
    listing_id: int
    shop_id: int
    sku: str
    ref: ListingRef
    desired: int
    confirmed: int | None
    confirmed_at: datetime | None
    dirty: bool


@dataclass(frozen=True)
class StockCheck:
    listing: ListingSnapshot
    observed: int | None  # None: the platform did not return the listing
    state: StockState
    healed: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "shop_id": self.listing.shop_id,
            "sku": self.listing.sku,
            "external_item_id": self.listing.ref.external_item_id,
            "external_variant_id": self.listing.ref.external_variant_id,
            "desired": self.listing.desired,
            "platform": self.observed,
            "confirmed": self.listing.confirmed,
            "state": self.state.value,
            "healed": self.healed,
        }


def classify(listing: ListingSnapshot, observed: RemoteStock | None) -> StockState:
    """Where one listing stands; pure, so the rules are testable without a platform."""
    if observed is None:
        return StockState.MISSING
    if observed.available == max(0, listing.desired):
        return StockState.IN_SYNC
    return StockState.PENDING if listing.dirty else StockState.DRIFTED


@dataclass
class StockReport:
    checks: list[StockCheck] = field(default_factory=list)

    def count(self, state: StockState) -> int:
        return sum(1 for check in self.checks if check.state is state)

    @property
    def drifted(self) -> list[StockCheck]:
        return [c for c in self.checks if c.state in (StockState.DRIFTED, StockState.MISSING)]

    @property
    def healed(self) -> int:
        return sum(1 for check in self.checks if check.healed)

    def counts(self) -> dict[str, int]:
        return {
            "checked": len(self.checks),
            "in_sync": self.count(StockState.IN_SYNC),
            "drifted": self.count(StockState.DRIFTED),
            "pending": self.count(StockState.PENDING),
            "missing": self.count(StockState.MISSING),
            "healed": self.healed,
        }


def snapshot(session: Session, shop_id: int) -> list[ListingSnapshot]:
    rows = session.scalars(
        select(Listing).where(Listing.shop_id == shop_id).order_by(Listing.id)
    ).all()
    return [
        ListingSnapshot(
            listing_id=row.id,
            shop_id=row.shop_id,
            sku=row.seller_sku,
            ref=ListingRef(row.external_item_id, row.external_variant_id),
            desired=row.desired_qty,
            confirmed=row.confirmed_qty,
            confirmed_at=row.confirmed_at,
            dirty=row.dirty,
        )
        for row in rows
    ]


def reconcile_stock(
    factory: sessionmaker[Session],
    client: MarketplaceClient,
    shop_id: int,
    *,
    dry_run: bool = False,
    on_dirty: DirtyHook = _no_hook,
) -> StockReport:
    """Compare every listing of the shop with the platform; unless `dry_run`, heal the drift."""
    with unit_of_work(factory) as session:
        listings = snapshot(session, shop_id)
    report = StockReport()
    for start in range(0, len(listings), READ_BATCH):
        batch = listings[start : start + READ_BATCH]
        observed = {stock.ref: stock for stock in client.read_stock([x.ref for x in batch])}
        checks = [
            StockCheck(x, _available(observed.get(x.ref)), classify(x, observed.get(x.ref)))
            for x in batch
        ]
        if not dry_run:
            checks = _heal(factory, checks, on_dirty)
        report.checks.extend(checks)
    return report


def _available(stock: RemoteStock | None) -> int | None:
    return None if stock is None else stock.available


def _heal(
    factory: sessionmaker[Session], checks: Sequence[StockCheck], on_dirty: DirtyHook
) -> list[StockCheck]:
    """Record what the platform shows as confirmed, so the push job writes the desired value.

    Skipped for a listing whose push confirmed something after our snapshot: that push is newer
    than our read, and overwriting it with the older reading would only cause an extra push.
    """
    out: list[StockCheck] = []
    healable = (StockState.DRIFTED, StockState.PENDING)
    with unit_of_work(factory) as session:
        for check in checks:
            if check.state not in healable or check.observed is None:
                out.append(check)
                continue
            listing = session.get(Listing, check.listing.listing_id, with_for_update=True)
            if listing is None or listing.confirmed_at != check.listing.confirmed_at:
                out.append(check)
                continue
            listing.confirmed_qty = check.observed
            listing.dirty = listing.confirmed_qty != listing.desired_qty
            if listing.dirty:
                on_dirty(session, listing.shop_id)
            out.append(StockCheck(check.listing, check.observed, check.state, healed=True))
    return out


# --- orders --------------------------------------------------------------------------------------


@dataclass
class OrderReport:
    window_from: datetime
    window_to: datetime
    platform: int = 0  # orders the platform lists as updated in the window
    ours: int = 0  # of those, how many we hold
    missing: list[str] = field(default_factory=list)  # the platform has them, we don't
    stale: list[str] = field(default_factory=list)  # we hold an older update than the platform
    imported: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "orders_platform": self.platform,
            "orders_ours": self.ours,
            "orders_missing": len(self.missing),
            "orders_stale": len(self.stale),
            "orders_imported": self.imported,
        }


def reconcile_orders(
    factory: sessionmaker[Session],
    client: MarketplaceClient,
    orders_for: OrderServiceFactory,
    shop_id: int,
    *,
    dry_run: bool = False,
    window: timedelta = ORDER_WINDOW,
    now: datetime | None = None,
) -> OrderReport:
    """Compare the platform's orders updated in the window with ours; import what we lack."""
    end = now or utcnow()
    report = OrderReport(window_from=end - window, window_to=end)
    refs = list(client.list_orders(report.window_from, end + order_sync.FUTURE_SLACK))
    listed = {ref.external_id: ref.updated_at for ref in refs}
    report.platform = len(listed)
    with unit_of_work(factory) as session:
        held = _our_update_times(session, shop_id, listed)
    report.ours = len(held)
    report.missing = sorted(set(listed) - set(held))
    report.stale = sorted(
        ext_id
        for ext_id, ours in held.items()
        if (theirs := listed[ext_id]) is not None and theirs > ours
    )
    todo = (report.missing + report.stale)[:MAX_ORDERS_IMPORTED]
    if todo and not dry_run:
        results = order_sync.import_orders(factory, client, orders_for, shop_id, todo)
        report.imported = sum(1 for result in results if result.applied)
    return report


def _our_update_times(
    session: Session, shop_id: int, external_ids: Iterable[str]
) -> dict[str, datetime]:
    ids = list(external_ids)
    held: dict[str, datetime] = {}
    for start in range(0, len(ids), 500):  # keeps the IN list well under any bind-limit
        rows = session.execute(
            select(Order.external_id, Order.platform_updated_at).where(
                Order.shop_id == shop_id, Order.external_id.in_(ids[start : start + 500])
            )
        )
        held.update({ext_id: updated for ext_id, updated in rows})
    return held


def active_shop_ids(session: Session, shop_id: int | None = None) -> list[int]:
    query = select(Shop.id).where(Shop.status == "active").order_by(Shop.id)
    if shop_id is not None:
        query = query.where(Shop.id == shop_id)
    return list(session.scalars(query))
