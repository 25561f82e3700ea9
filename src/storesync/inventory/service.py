"""Stock changes: adjustments, order reservations and shipments, each locked, ledgered and pushed.

Every change goes through `_locked_level` (a row lock on PostgreSQL; SQLite serialises writers with
BEGIN IMMEDIATE), so concurrent imports never lose an update. After each change the variant's
listings get a new desired quantity, and the shops whose listings turned dirty are handed to
`on_dirty_shop` — which the composition root wires to "enqueue a push after commit".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storesync.db.base import utcnow
from storesync.db.models import InventoryLevel, LedgerEntry, Listing, Variant
from storesync.domain import inventory as rules
from storesync.domain.inventory import LedgerReason, Reservation, StockLevel
from storesync.errors import NotFoundError, ValidationError
from storesync.observability.context import correlation_id

DirtyShopHook = Callable[[Session, int], None]

# Platform times have 1 s resolution and its clock may trail ours a little: a write up to this long
# before the platform's time of a move is treated as possibly after it (costing one extra write).
PLATFORM_CLOCK_SLACK = timedelta(seconds=1)


@dataclass(frozen=True)
class PlatformMove:
    """An order moved a listing's count on its own platform by `delta` at platform time `at`."""

    shop_id: int
    external_item_id: str
    external_variant_id: str
    delta: int
    at: datetime


def _no_hook(_: Session, __: int) -> None:
    return None


@dataclass
class InventoryService:
    session: Session
    actor: str = "system"
    on_dirty_shop: DirtyShopHook = _no_hook

    # -- reads ---------------------------------------------------------------------------------

    def variant_by_sku(self, sku: str) -> Variant:
        variant = self.session.scalar(select(Variant).where(Variant.sku == sku))
        if variant is None:
            raise NotFoundError(f"No variant with SKU {sku!r}.", details={"sku": sku})
        return variant

    def level(self, variant_id: int) -> InventoryLevel:
        level = self.session.scalar(
            select(InventoryLevel).where(InventoryLevel.variant_id == variant_id)
        )
        if level is None:
            level = InventoryLevel(variant_id=variant_id, on_hand=0, reserved=0, safety=0)
            self.session.add(level)
            self.session.flush()
        return level

    def ledger_sum(self, variant_id: int) -> int:
        total = self.session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.delta), 0)).where(
                LedgerEntry.variant_id == variant_id
            )
        )
        return int(total or 0)

    # -- writes --------------------------------------------------------------------------------

    def _locked_level(self, variant_id: int) -> InventoryLevel:
        level = self.session.scalar(
            select(InventoryLevel)
            .where(InventoryLevel.variant_id == variant_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return level if level is not None else self.level(variant_id)

    def adjust(self, sku: str, delta: int, reason: str, note: str = "") -> InventoryLevel:
        variant = self.variant_by_sku(sku)
        level = self._locked_level(variant.id)
        try:
            new = rules.adjust(_as_domain(level), delta)
        except rules.DomainRuleViolation as exc:
            raise ValidationError(str(exc), details={"sku": sku, "delta": delta}) from exc
        if new.on_hand < level.reserved:
            raise ValidationError(
                f"on hand would fall below the {level.reserved} units open orders hold",
                details={"sku": sku, "delta": delta, "reserved": level.reserved},
            )
        self._write(level, new, delta, reason or LedgerReason.ADJUSTMENT, note=note)
        return level

    def set_initial(self, variant_id: int, on_hand: int) -> InventoryLevel:
        """First count of a new variant (catalog import); a ledger entry like any other."""
        level = self._locked_level(variant_id)
        if on_hand:
            new = StockLevel(
                on_hand=level.on_hand + on_hand, reserved=level.reserved, safety=level.safety
            )
            self._write(level, new, on_hand, LedgerReason.INITIAL)
        else:
            self.refresh_listings(variant_id, level)
        return level

    def reserve(
        self, variant_id: int, quantity: int, moved: PlatformMove | None = None
    ) -> Reservation:
        level = self._locked_level(variant_id)
        new, reservation = rules.reserve(_as_domain(level), quantity)
        level.reserved = new.reserved
        level.oversold += reservation.oversold
        if moved is not None:
            self._follow(moved)
        self.refresh_listings(variant_id, level)
        return reservation

    def release(
        self, variant_id: int, reservation: Reservation, moved: PlatformMove | None = None
    ) -> None:
        level = self._locked_level(variant_id)
        new = rules.release(_as_domain(level), reservation)
        level.reserved = new.reserved
        if moved is not None:
            self._follow(moved)
        self.refresh_listings(variant_id, level)

    def _follow(self, moved: PlatformMove) -> None:
        """The order's own shop already moved its count: keep our record of it in step, so no
        push writes back what it shows (a quarter of all stock writes with four shops). Only when
        our last write there was clearly before the move: one that may have crossed it could
        have overwritten the platform's own change (TikTok writes absolute available), so that
        listing keeps its record, turns dirty, and is simply written again."""
        listing = self.session.scalar(
            select(Listing).where(
                Listing.shop_id == moved.shop_id,
                Listing.external_item_id == moved.external_item_id,
                Listing.external_variant_id == moved.external_variant_id,
            )
        )
        if listing is None or listing.confirmed_qty is None or listing.confirmed_at is None:
            return
        if listing.confirmed_at >= moved.at - PLATFORM_CLOCK_SLACK:
            return
        listing.confirmed_qty = max(0, listing.confirmed_qty + moved.delta)

    def ship(self, variant_id: int, reservation: Reservation, order_id: int) -> None:
        level = self._locked_level(variant_id)
        new = rules.ship(_as_domain(level), reservation)
        if reservation.reserved:
            self._write(
                level, new, -reservation.reserved, LedgerReason.ORDER_SHIPPED, order_id=order_id
            )
        else:
            level.reserved = new.reserved

    def unconfirm_pushed_since(self, shop_id: int, variant_id: int, since: datetime) -> None:
        """Forget what pushes to `shop_id` confirmed for the variant at or after `since`, so the
        next push rewrites it from current numbers (see the caller for when that is needed)."""
        listings = self.session.scalars(
            select(Listing).where(
                Listing.shop_id == shop_id,
                Listing.variant_id == variant_id,
                Listing.confirmed_at >= since,
            )
        )
        for listing in listings:
            listing.confirmed_qty = None
            listing.dirty = True
            self.on_dirty_shop(self.session, shop_id)

    def _write(
        self,
        level: InventoryLevel,
        new: StockLevel,
        delta: int,
        reason: str,
        *,
        order_id: int | None = None,
        note: str = "",
    ) -> None:
        level.on_hand, level.reserved = new.on_hand, new.reserved
        self.session.add(
            LedgerEntry(
                variant_id=level.variant_id,
                warehouse=level.warehouse,
                delta=delta,
                balance_after=new.on_hand,
                reason=str(reason),
                actor=self.actor,
                correlation_id=correlation_id.get(),
                order_id=order_id,
                note=note[:500],
            )
        )
        self.refresh_listings(level.variant_id, level)

    def refresh_listings(self, variant_id: int, level: InventoryLevel) -> None:
        """Give every listing of the variant its new desired quantity; report newly dirty shops."""
        desired = _as_domain(level).available
        now = utcnow()
        listings = self.session.scalars(select(Listing).where(Listing.variant_id == variant_id))
        for listing in listings:
            if listing.desired_qty != desired:
                listing.desired_qty = desired
                listing.desired_at = now
            dirty = listing.confirmed_qty != listing.desired_qty
            listing.dirty = dirty
            if dirty:
                self.on_dirty_shop(self.session, listing.shop_id)


def _as_domain(level: InventoryLevel) -> StockLevel:
    return StockLevel(on_hand=level.on_hand, reserved=level.reserved, safety=level.safety)
