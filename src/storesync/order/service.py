"""Order intake: upsert a platform order exactly once and apply its stock movement.

Idempotent by construction: the order row is unique per (platform, shop, external id) and is
locked while we decide; a status is applied only when its platform `update_time` is newer than
what we hold. So a duplicated webhook, a poll overlapping a webhook, a redelivered job or an
out-of-order event all end in the same state, and stock moves once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storesync.db.models import Listing, Order, OrderLine, Shop, Variant
from storesync.domain.catalog import normalize_sku
from storesync.domain.inventory import Reservation
from storesync.domain.order_status import OrderStatus
from storesync.domain.orders import Movement, transition
from storesync.inventory.service import (
    PLATFORM_CLOCK_SLACK,
    DirtyShopHook,
    InventoryService,
    PlatformMove,
)
from storesync.marketplaces.base import RemoteOrder
from storesync.shop.clock import on_our_clock


@dataclass(frozen=True)
class UpsertResult:
    order_id: int
    created: bool
    applied: bool  # False: the event was stale or a duplicate and changed nothing
    movement: Movement


@dataclass
class OrderService:
    session: Session
    inventory: InventoryService

    def upsert(self, shop: Shop, remote: RemoteOrder) -> UpsertResult:
        order, created = self._lock_or_create(shop, remote)
        current = None if created else OrderStatus(order.status)
        current_time = None if created else order.platform_updated_at
        decision = transition(current, current_time, remote.status, remote.updated_at)
        if not decision.apply:
            return UpsertResult(order.id, False, False, Movement.NONE)
        if created:
            self._add_lines(order, remote)
        self._move_stock(shop, order, decision.movement, remote)
        order.status = remote.status.value
        order.raw_status = remote.raw_status
        order.platform_updated_at = remote.updated_at
        return UpsertResult(order.id, created, True, decision.movement)

    def _lock_or_create(self, shop: Shop, remote: RemoteOrder) -> tuple[Order, bool]:
        key = (Order.platform == shop.platform, Order.shop_id == shop.id)
        query = select(Order).where(*key, Order.external_id == remote.external_id)
        existing = self.session.scalar(query.with_for_update())
        if existing is not None:
            return existing, False
        order = Order(
            platform=shop.platform,
            shop_id=shop.id,
            external_id=remote.external_id,
            status=remote.status.value,
            raw_status=remote.raw_status,
            platform_created_at=remote.created_at,
            # Set below only once the status is applied; start before any real update time.
            platform_updated_at=remote.created_at,
            currency=remote.currency or "",
            total=sum((line.unit_price * line.quantity for line in remote.lines), start=0),
        )
        try:
            # A concurrent import of the same order (webhook and poll racing) waits on the unique
            # index and then fails here; it then takes the winner's row, locked.
            with self.session.begin_nested():
                self.session.add(order)
                self.session.flush()
        except IntegrityError:
            winner = self.session.scalar(query.with_for_update())
            if winner is None:
                raise
            return winner, False
        return order, True

    def _add_lines(self, order: Order, remote: RemoteOrder) -> None:
        by_listing = {
            (listing.external_item_id, listing.external_variant_id): listing.variant_id
            for listing in self.session.scalars(
                select(Listing).where(Listing.shop_id == order.shop_id)
            )
        }
        by_sku = {
            normalize_sku(sku): variant_id
            for variant_id, sku in self.session.execute(
                select(Variant.id, Variant.sku).where(Variant.sku.in_(_raw_skus(remote)))
            )
        }
        for line in remote.lines:
            # The listing link is authoritative (SKUs can be edited on the platform); the SKU is
            # the fallback for listings imported after the order.
            variant_id = by_listing.get((line.external_item_id, line.external_variant_id))
            if variant_id is None:
                variant_id = by_sku.get(normalize_sku(line.sku))
            self.session.add(
                OrderLine(
                    order_id=order.id,
                    variant_id=variant_id,
                    sku=line.sku or "",
                    external_item_id=line.external_item_id,
                    external_variant_id=line.external_variant_id,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                )
            )
        self.session.flush()

    def _move_stock(
        self, shop: Shop, order: Order, movement: Movement, remote: RemoteOrder
    ) -> None:
        if movement is Movement.NONE:
            return
        # Compared with when we wrote (our clock) below: the platform's times on our clock.
        created_at = on_our_clock(shop, remote.created_at)
        updated_at = on_our_clock(shop, remote.updated_at)
        lines = self.session.scalars(
            select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.variant_id)
        ).all()
        # Lock inventory rows in one global order (by variant id) so two orders touching the same
        # SKUs can never deadlock each other.
        for line in lines:
            if line.variant_id is None:
                continue
            if movement in (Movement.RESERVE, Movement.RESERVE_AND_SHIP):
                taken = _moved(order, line, -line.quantity, created_at)
                held = self.inventory.reserve(line.variant_id, line.quantity, taken)
                line.reserved_qty, line.oversold_qty = held.reserved, held.oversold
                line.holds_stock = True
            if not line.holds_stock:
                continue
            held = Reservation(line.reserved_qty, line.oversold_qty)
            if movement in (Movement.SHIP, Movement.RESERVE_AND_SHIP):
                self.inventory.ship(line.variant_id, held, order.id)
                line.holds_stock = False
                # A push to this shop planned after the platform shipped but before this import
                # still counted these units as reserved here, so on Shopee it over-stated stock
                # by them; a ship changes no desired quantity, so nothing else would re-push.
                self.inventory.unconfirm_pushed_since(
                    order.shop_id, line.variant_id, updated_at - PLATFORM_CLOCK_SLACK
                )
            elif movement is Movement.RELEASE:
                given = _moved(order, line, line.quantity, updated_at)
                self.inventory.release(line.variant_id, held, given)
                line.holds_stock = False


def _moved(order: Order, line: OrderLine, delta: int, at: datetime) -> PlatformMove:
    return PlatformMove(order.shop_id, line.external_item_id, line.external_variant_id, delta, at)


def _raw_skus(remote: RemoteOrder) -> list[str]:
    return [line.sku for line in remote.lines if line.sku]


OrderServiceFactory = Callable[[Session], OrderService]


def order_services(on_dirty_shop: DirtyShopHook, actor: str = "order-sync") -> OrderServiceFactory:
    """An OrderService per session whose stock changes call `on_dirty_shop` (a push request)."""

    def build(session: Session) -> OrderService:
        return OrderService(session, InventoryService(session, actor, on_dirty_shop))

    return build
