"""Level-triggered stock push: converge every dirty listing of a shop to its desired quantity.

Three short steps, never holding a transaction across a platform call:
1. read the shop's dirty listings (what to push is decided from the database, not the message);
2. push absolute quantities through the client, which batches to the platform's limits;
3. record what the platform confirmed. A listing whose desired value moved meanwhile stays dirty,
   and the caller enqueues another push: latest value wins, and nothing is lost.

One push per shop runs at a time (the caller's lock), but that lock can be lost (a Redis restart)
or outlived (a push slower than its TTL), and then two pushes of one shop overlap and may land in
either order. Each push takes the shop's next sequence number when it plans, and a listing keeps
the number of the push it last recorded as confirmed: a push confirming after a newer one did
may have landed after it, so the platform may show the older value — the listing is marked
unconfirmed (dirty) and pushed again at once instead of waiting for the hourly reconciliation.
(Two overlapping pushes whose confirmations are processed in the opposite order of their
landings are not told apart; reconciliation covers that rarer case.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storesync.db.base import utcnow
from storesync.db.engine import unit_of_work
from storesync.db.models import InventoryLevel, Listing, Order, OrderLine, Shop
from storesync.marketplaces.base import ListingRef, MarketplaceClient, StockUpdate
from storesync.observability.metrics import push_landed_late_total, sync_lag_seconds

log = structlog.get_logger(__name__)

MAX_LISTINGS_PER_RUN = 500  # bounds one job's time; the rest stays dirty for the next run


@dataclass
class PushReport:
    attempted: int = 0
    confirmed: int = 0
    failed: int = 0
    still_dirty: int = 0
    landed_late: int = 0  # confirmed after a newer push of the same listing: pushed again
    error_codes: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Planned:
    listing_id: int
    variant_id: int
    update: StockUpdate
    seq: int  # the shop's push sequence number this push took


def push_shop(
    session_factory: sessionmaker[Session], client: MarketplaceClient, shop_id: int
) -> PushReport:
    with unit_of_work(session_factory) as session:
        planned = _plan(session, shop_id)
    report = PushReport(attempted=len(planned))
    if not planned:
        return report
    results = client.update_stock([p.update for p in planned])
    by_ref = {result.ref: result for result in results}
    with unit_of_work(session_factory) as session:
        variant_ids = sorted({p.variant_id for p in planned})
        # Lock the variants' stock rows first (the order intake takes them in the same order):
        # otherwise a shipment imported in a parallel transaction is invisible here and this
        # confirms a Shopee value computed with units that are no longer reserved (chaos run).
        session.execute(
            select(InventoryLevel.id)
            .where(InventoryLevel.variant_id.in_(variant_ids))
            .order_by(InventoryLevel.variant_id)
            .with_for_update()
        )
        held_now = _reserved_here(session, shop_id, variant_ids)
        for item in planned:
            listing = session.get(Listing, item.listing_id, with_for_update=True)
            result = by_ref.get(item.update.ref)
            if listing is None or result is None:
                continue
            if result.ok and listing.confirmed_seq > item.seq:
                # A newer push confirmed this listing first; ours may have landed after it.
                report.landed_late += 1
                listing.confirmed_qty = None
            elif result.ok:
                report.confirmed += 1
                _observe_sync_lag(listing, item.update.available)  # before confirmed_at moves
                # An order of this shop imported while we pushed changed the reservations the
                # written value was computed from: the platform's view is unknown, write again.
                stale = held_now.get(item.variant_id, 0) != item.update.reserved_here
                listing.confirmed_qty = None if stale else item.update.available
                listing.confirmed_at = utcnow()
                listing.confirmed_seq = item.seq
                listing.last_error_code = listing.last_error = None
            else:
                report.failed += 1
                code = result.error.code.value if result.error else "PLATFORM_API_ERROR"
                report.error_codes[code] = report.error_codes.get(code, 0) + 1
                listing.last_error_code = code
                listing.last_error = (result.error.message if result.error else "")[:500]
            listing.dirty = listing.confirmed_qty != listing.desired_qty
            report.still_dirty += int(listing.dirty and result.ok)
    if report.landed_late:
        push_landed_late_total.inc(report.landed_late)
        log.warning("push_landed_late", shop_id=shop_id, listings=report.landed_late)
    return report


def _observe_sync_lag(listing: Listing, written: int) -> None:
    """Stock change to this shop's confirmation. `desired_at` is when the change (an order seen,
    an adjustment) gave the listing its value, in the order's own transaction, so no column is
    needed. Only a confirmation of that value ends a sync: a listing whose desired value moved
    again meanwhile ends later, and one pushed again with an unchanged value (reconciliation, a
    landed-late write) started no new sync."""
    if written != listing.desired_qty:
        return
    if listing.confirmed_at is not None and listing.desired_at <= listing.confirmed_at:
        return
    sync_lag_seconds.observe(max(0.0, (utcnow() - listing.desired_at).total_seconds()))


def _plan(session: Session, shop_id: int) -> list[_Planned]:
    shop = session.get(Shop, shop_id, with_for_update=True)
    if shop is None or shop.status != "active":
        return []
    listings = session.scalars(
        select(Listing)
        .where(Listing.shop_id == shop_id, Listing.dirty.is_(True))
        .order_by(Listing.id)
        .limit(MAX_LISTINGS_PER_RUN)
    ).all()
    if not listings:
        return []
    held = _reserved_here(session, shop_id, [listing.variant_id for listing in listings])
    shop.push_seq += 1  # under the shop row's lock: every overlapping push gets its own number
    return [
        _Planned(
            listing.id,
            listing.variant_id,
            StockUpdate(
                ref=ListingRef(listing.external_item_id, listing.external_variant_id),
                available=max(0, listing.desired_qty),
                reserved_here=held.get(listing.variant_id, 0),
            ),
            shop.push_seq,
        )
        for listing in listings
    ]


def _reserved_here(session: Session, shop_id: int, variant_ids: list[int]) -> dict[int, int]:
    """Units this shop's open orders hold, per variant: platforms that count their own
    reservations inside writable stock (Shopee) need them added back."""
    rows = session.execute(
        select(OrderLine.variant_id, func.sum(OrderLine.quantity))
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.shop_id == shop_id,
            OrderLine.holds_stock.is_(True),
            OrderLine.variant_id.in_(variant_ids),
        )
        .group_by(OrderLine.variant_id)
    )
    return {int(variant_id or 0): int(total or 0) for variant_id, total in rows}
