"""Pushes that raced an order movement of the same shop are written again.

Shopee's writable stock includes the units its own open orders hold, so a push writes
`available + reserved_here`. If the reservations that number was computed from changed under it
(an order shipped on the platform before we imported it, or imported while we pushed), the
platform would show a wrong count that no desired-quantity change would ever correct.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from storesync.db.base import utcnow
from storesync.db.engine import unit_of_work
from storesync.db.models import Listing, Shop
from storesync.domain.order_status import OrderStatus
from storesync.inventory.service import InventoryService
from storesync.listing.push import push_shop
from storesync.marketplaces.base import RemoteOrder
from storesync.order.service import OrderService
from storesync.testing.fakes import FakeClient
from tests.integration.conftest import Seed
from tests.seeds import remote_order


def _upsert(factory: sessionmaker[Session], shop_id: int, remote: RemoteOrder) -> None:
    with unit_of_work(factory) as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        OrderService(session, InventoryService(session)).upsert(shop, remote)


def _push(factory: sessionmaker[Session], shop_id: int, client: FakeClient) -> int:
    return push_shop(factory, client, shop_id).still_dirty


def _listing(factory: sessionmaker[Session]) -> Listing:
    with unit_of_work(factory) as session:
        listing = session.query(Listing).one()
        session.expunge(listing)
        return listing


def _pushed_in_step(factory: sessionmaker[Session], shop_id: int, variant_id: int) -> None:
    """The seeded listing shows the seeded stock, confirmed by a push."""
    with unit_of_work(factory) as session:
        inventory = InventoryService(session)
        inventory.refresh_listings(variant_id, inventory.level(variant_id))
    _push(factory, shop_id, FakeClient())


def _at(remote: RemoteOrder, when: object) -> RemoteOrder:
    return dataclasses.replace(remote, updated_at=when)


def test_a_push_between_a_shipment_and_its_import_is_written_again(
    factory: sessionmaker[Session], seed: Seed
) -> None:
    shop_id, _ = seed(on_hand=10)
    _upsert(factory, shop_id, remote_order("S1", OrderStatus.READY_TO_SHIP, 1, [("SKU-1", 3)]))
    shipped_on_platform = utcnow()
    # Pushed after the platform shipped, before we knew: it still counted 3 units as held here.
    _push(factory, shop_id, FakeClient())
    shipped = remote_order("S1", OrderStatus.SHIPPED, 2, [("SKU-1", 3)])
    _upsert(factory, shop_id, _at(shipped, shipped_on_platform))

    assert _listing(factory).dirty
    again = FakeClient()
    _push(factory, shop_id, again)
    assert [(w.available, w.reserved_here) for w in again.stock_updates] == [(7, 0)]
    assert not _listing(factory).dirty


def test_a_shipment_after_the_last_push_costs_no_extra_write(
    factory: sessionmaker[Session], seed: Seed
) -> None:
    shop_id, _ = seed(on_hand=10)
    _upsert(factory, shop_id, remote_order("S2", OrderStatus.READY_TO_SHIP, 1, [("SKU-1", 3)]))
    _push(factory, shop_id, FakeClient())
    shipped = remote_order("S2", OrderStatus.SHIPPED, 2, [("SKU-1", 3)])
    _upsert(factory, shop_id, _at(shipped, utcnow() + timedelta(seconds=5)))

    assert not _listing(factory).dirty


def test_a_shipment_imported_while_pushing_leaves_the_listing_dirty(
    factory: sessionmaker[Session], seed: Seed
) -> None:
    shop_id, _ = seed(on_hand=10)
    _upsert(factory, shop_id, remote_order("S3", OrderStatus.READY_TO_SHIP, 1, [("SKU-1", 3)]))
    shipped = remote_order("S3", OrderStatus.SHIPPED, 2, [("SKU-1", 3)])
    # The write below counts 3 units as held here; the shipment lands while it is on the wire.
    client = FakeClient().during("update_stock", lambda: _upsert(factory, shop_id, shipped))

    assert _push(factory, shop_id, client) == 1
    assert _listing(factory).dirty
    again = FakeClient()
    _push(factory, shop_id, again)
    assert [(w.available, w.reserved_here) for w in again.stock_updates] == [(7, 0)]


def _created_at(remote: RemoteOrder, when: object) -> RemoteOrder:
    return dataclasses.replace(remote, created_at=when, updated_at=when)


def test_an_order_is_not_written_back_to_the_shop_that_took_it(
    factory: sessionmaker[Session], seed: Seed
) -> None:
    shop_id, variant_id = seed(on_hand=10)
    _pushed_in_step(factory, shop_id, variant_id)
    order = remote_order("S4", OrderStatus.READY_TO_SHIP, 1, [("SKU-1", 3)])
    # The platform took the order well after our last write there: it shows 7 by itself.
    _upsert(factory, shop_id, _created_at(order, utcnow() + timedelta(seconds=5)))

    listing = _listing(factory)
    assert (listing.desired_qty, listing.confirmed_qty, listing.dirty) == (7, 7, False)


def test_a_write_that_may_have_crossed_the_order_is_made_again(
    factory: sessionmaker[Session], seed: Seed
) -> None:
    shop_id, variant_id = seed(on_hand=10)
    taken_on_platform = utcnow()
    # Written just after the platform took the order: on TikTok that write (10) replaced the
    # platform's own 7, so our record must not simply follow the order.
    _pushed_in_step(factory, shop_id, variant_id)
    order = remote_order("S5", OrderStatus.READY_TO_SHIP, 1, [("SKU-1", 3)])
    _upsert(factory, shop_id, _created_at(order, taken_on_platform))

    assert _listing(factory).dirty
    again = FakeClient()
    _push(factory, shop_id, again)
    assert [(w.available, w.reserved_here) for w in again.stock_updates] == [(7, 3)]
