"""Decisions that compare our write times with a platform's order times hold with the platform's
clock five minutes off ours, either way: the offset is learnt from its webhooks' timestamps."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from storesync.db.base import utcnow
from storesync.db.engine import unit_of_work
from storesync.db.models import Listing, Shop
from storesync.domain.order_status import OrderStatus
from storesync.domain.platform import Platform
from storesync.inventory.service import InventoryService
from storesync.listing.push import push_shop
from storesync.marketplaces.base import EventKind, WebhookEvent
from storesync.order.service import OrderService
from storesync.testing.fakes import FakeClient
from storesync.webhook.health import on_verified
from tests.integration.conftest import Seed
from tests.seeds import remote_order

SKEWS = [timedelta(minutes=5), timedelta(minutes=-5), timedelta(0)]


def _webhook_now(factory: sessionmaker[Session], shop_id: int, skew: timedelta) -> None:
    """A webhook arrives at once, stamped with the platform's (skewed) clock."""
    with unit_of_work(factory) as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        event = WebhookEvent(
            platform=Platform.SHOPEE,
            event_id="e1",
            kind=EventKind.ORDER_STATUS,
            external_shop_id=shop.external_id,
            order_external_id="S0",
            status=OrderStatus.PENDING,
            raw_status="PENDING",
            occurred_at=(utcnow() + skew).replace(microsecond=0),  # 1 s resolution
            raw={},
        )
        on_verified(session, Platform.SHOPEE, event)


def _push_in_step(factory: sessionmaker[Session], shop_id: int, variant_id: int) -> None:
    with unit_of_work(factory) as session:
        inventory = InventoryService(session)
        inventory.refresh_listings(variant_id, inventory.level(variant_id))
    push_shop(factory, FakeClient(), shop_id)


def _import(factory: sessionmaker[Session], shop_id: int, taken_at_platform: datetime) -> None:
    remote = remote_order("S1", OrderStatus.READY_TO_SHIP, 1, [("SKU-1", 3)])
    remote = dataclasses.replace(remote, created_at=taken_at_platform, updated_at=taken_at_platform)
    with unit_of_work(factory) as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        OrderService(session, InventoryService(session)).upsert(shop, remote)


def _listing(factory: sessionmaker[Session]) -> Listing:
    with unit_of_work(factory) as session:
        listing = session.query(Listing).one()
        session.expunge(listing)
        return listing


@pytest.mark.parametrize("skew", SKEWS, ids=["ahead", "behind", "none"])
def test_an_order_taken_well_after_our_write_is_not_written_back(
    factory: sessionmaker[Session], seed: Seed, skew: timedelta
) -> None:
    shop_id, variant_id = seed(on_hand=10)
    _webhook_now(factory, shop_id, skew)
    _push_in_step(factory, shop_id, variant_id)
    # Our write landed 10 s before the platform took the order (on the platform's clock).
    our_write = _listing(factory).confirmed_at
    assert our_write is not None
    _import(factory, shop_id, our_write + skew + timedelta(seconds=10))

    listing = _listing(factory)
    assert (listing.desired_qty, listing.confirmed_qty, listing.dirty) == (7, 7, False)


@pytest.mark.parametrize("skew", SKEWS, ids=["ahead", "behind", "none"])
def test_a_write_that_may_have_crossed_the_order_is_made_again(
    factory: sessionmaker[Session], seed: Seed, skew: timedelta
) -> None:
    shop_id, variant_id = seed(on_hand=10)
    _webhook_now(factory, shop_id, skew)
    taken = utcnow() + skew  # the platform took the order just before our write landed
    _push_in_step(factory, shop_id, variant_id)
    _import(factory, shop_id, taken)

    assert _listing(factory).dirty
    again = FakeClient()
    push_shop(factory, again, shop_id)
    assert [(w.available, w.reserved_here) for w in again.stock_updates] == [(7, 3)]
