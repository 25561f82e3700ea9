"""Two pushes of one shop that overlap (the per-shop push lock lost in a Redis restart, or
outlived) can land on the platform in either order. A push confirmed after a newer one was may
have landed after it, leaving the older value on the platform: the listing is pushed again at
once instead of waiting for the hourly reconciliation."""

from __future__ import annotations

import threading

from sqlalchemy.orm import Session, sessionmaker

from storesync.db.engine import unit_of_work
from storesync.db.models import Listing
from storesync.inventory.service import InventoryService
from storesync.listing.push import PushReport, push_shop
from storesync.testing.fakes import FakeClient
from tests.integration.conftest import Seed
from tests.seeds import listing_ref


def _shows(platform: FakeClient) -> int | None:
    """The platform's copy of the listing's stock: the last write to land wins."""
    stock = platform.stock.get(listing_ref("SKU-1"))
    return stock.available if stock else None


def _slow_first_write(platform: FakeClient, release: threading.Event) -> threading.Event:
    """The first write waits on the wire until `release` is set, like a slow platform call;
    the event returned is set once it is on the wire."""
    sent = threading.Event()

    def hold() -> None:
        if not sent.is_set():
            sent.set()
            assert release.wait(30)

    platform.during("update_stock", hold)
    return sent


def _adjust(factory: sessionmaker[Session], delta: int) -> None:
    with unit_of_work(factory) as session:
        InventoryService(session, actor="test").adjust("SKU-1", delta, "adjustment")


def _seeded(factory: sessionmaker[Session], seed: Seed) -> int:
    """A shop whose one listing should show the 10 units on hand."""
    shop_id, variant_id = seed(on_hand=10)
    with unit_of_work(factory) as session:
        inventory = InventoryService(session)
        inventory.refresh_listings(variant_id, inventory.level(variant_id))
    return shop_id


def _listing(factory: sessionmaker[Session]) -> Listing:
    with unit_of_work(factory) as session:
        listing = session.query(Listing).one()
        session.expunge(listing)
        return listing


def _push(factory: sessionmaker[Session], shop_id: int, client: FakeClient) -> PushReport:
    return push_shop(factory, client, shop_id)


def test_a_push_landing_after_a_newer_one_is_pushed_again(
    factory: sessionmaker[Session], seed: Seed
) -> None:
    shop_id = _seeded(factory, seed)
    platform = FakeClient()
    release = threading.Event()
    sent = _slow_first_write(platform, release)
    reports: list[PushReport] = []
    older = threading.Thread(target=lambda: reports.append(_push(factory, shop_id, platform)))
    older.start()
    assert sent.wait(30)  # the older push (10) is on the wire
    _adjust(factory, -4)  # the master moves to 6 meanwhile
    newer = _push(factory, shop_id, platform)  # the lock was lost: a second push runs
    assert (newer.confirmed, _shows(platform)) == (1, 6)
    release.set()  # the older write lands last: the platform shows 10 again
    older.join(30)
    assert _shows(platform) == 10
    [late] = reports
    assert (late.landed_late, late.confirmed) == (1, 0)

    listing = _listing(factory)
    assert (listing.desired_qty, listing.confirmed_qty, listing.dirty) == (6, None, True)
    healed = _push(factory, shop_id, platform)
    assert (healed.confirmed, _shows(platform)) == (1, 6)
    assert not _listing(factory).dirty


def test_pushes_that_do_not_overlap_confirm_as_before(
    factory: sessionmaker[Session], seed: Seed
) -> None:
    shop_id = _seeded(factory, seed)
    platform = FakeClient()
    first = _push(factory, shop_id, platform)
    _adjust(factory, -3)
    second = _push(factory, shop_id, platform)
    assert (first.confirmed, second.confirmed, second.landed_late) == (1, 1, 0)
    listing = _listing(factory)
    assert (listing.confirmed_qty, listing.dirty, _shows(platform)) == (7, False, 7)
