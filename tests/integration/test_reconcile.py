"""Reconciliation against the real simulators over HTTP, on SQLite and PostgreSQL.

Stock is changed behind StoreSync's back with the platform's own API (a signed update_stock /
inventory update call, as a seller's back office would), orders are created while no webhook
reaches us; reconciliation must see both and heal them through the normal paths.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from marketsim.common.server import BackgroundServer
from marketsim.shopee.app import create_app as create_shopee
from marketsim.tiktok.app import create_app as create_tiktok
from storesync.catalog.service import CatalogService
from storesync.db.engine import make_session_factory, unit_of_work
from storesync.db.models import InventoryLevel, Listing, Order
from storesync.domain.platform import Platform
from storesync.inventory.service import InventoryService
from storesync.listing.push import push_shop
from storesync.marketplaces.base import ListingRef, MarketplaceClient, StockUpdate
from storesync.order.service import OrderService
from storesync.reconcile.service import StockState, reconcile_orders, reconcile_stock
from tests.contract.conftest import (
    SHOPEE_PARTNER_ID,
    SHOPEE_PARTNER_KEY,
    TIKTOK_APP_KEY,
    TIKTOK_APP_SECRET,
    Sim,
)
from tests.seeds import make_shop

CATALOG = [
    {
        "name": "Linen shirt",
        "variants": [
            {"sku": "SHIRT-S", "price": 19.9, "stock": 10},
            {"sku": "SHIRT-M", "price": 19.9, "stock": 5},
        ],
    },
    {"name": "Canvas tote", "variants": [{"sku": "TOTE", "price": 9.5, "stock": 3}]},
]


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[Platform, BackgroundServer]]:
    running = {
        Platform.SHOPEE: BackgroundServer(
            create_shopee(partner_id=SHOPEE_PARTNER_ID, partner_key=SHOPEE_PARTNER_KEY)
        ),
        Platform.TIKTOK: BackgroundServer(
            create_tiktok(app_key=TIKTOK_APP_KEY, app_secret=TIKTOK_APP_SECRET)
        ),
    }
    for server in running.values():
        server.start()
    yield running
    for server in running.values():
        server.stop(timeout_s=5)


@dataclass
class World:
    sim: Sim
    client: MarketplaceClient
    factory: sessionmaker[Session]
    shop_id: int
    external_shop_id: str
    refs: dict[str, ListingRef]

    def platform_available(self, sku: str) -> int:
        (stock,) = self.client.read_stock([self.refs[sku]])
        return stock.available

    def listing(self, sku: str) -> Listing:
        with unit_of_work(self.factory) as session:
            listing = session.scalar(
                select(Listing).where(Listing.shop_id == self.shop_id, Listing.seller_sku == sku)
            )
            assert listing is not None
            return listing


@pytest.fixture(params=[Platform.SHOPEE, Platform.TIKTOK], ids=["shopee", "tiktok"])
def world(
    request: pytest.FixtureRequest, servers: dict[Platform, BackgroundServer], engine: Engine
) -> Iterator[World]:
    platform: Platform = request.param
    with httpx.Client(base_url=servers[platform].url, timeout=10) as control:
        sim = Sim(platform, servers[platform], control)
        credentials = sim.create_shop()
        refs = sim.create_products(credentials, CATALOG)
        client = sim.client(credentials)
        factory = make_session_factory(engine)
        with unit_of_work(factory) as session:
            shop = make_shop(session, platform.value, credentials.external_shop_id)
            CatalogService(session, InventoryService(session)).import_products(
                shop, list(client.list_products())
            )
            shop_id = shop.id
        yield World(sim, client, factory, shop_id, credentials.external_shop_id, refs)
        sim.close_clients()


def _orders(session: Session) -> OrderService:
    return OrderService(session, InventoryService(session, actor="test"))


def test_stock_changed_on_the_platform_is_found_and_pushed_back(world: World) -> None:
    assert reconcile_stock(world.factory, world.client, world.shop_id).counts()["drifted"] == 0
    # A seller sets SHIRT-S to 2 in the platform's back office: our records still say 10.
    world.client.update_stock([StockUpdate(world.refs["SHIRT-S"], 2)])

    report = reconcile_stock(world.factory, world.client, world.shop_id)

    (drift,) = report.drifted
    assert (drift.listing.sku, drift.listing.desired, drift.observed) == ("SHIRT-S", 10, 2)
    assert drift.state is StockState.DRIFTED
    assert drift.healed
    assert report.counts()["checked"] == 3
    listing = world.listing("SHIRT-S")
    assert (listing.confirmed_qty, listing.dirty) == (2, True)
    # The ordinary push path writes it back.
    push_shop(world.factory, world.client, world.shop_id)
    assert world.platform_available("SHIRT-S") == 10
    assert reconcile_stock(world.factory, world.client, world.shop_id).counts()["drifted"] == 0
    assert not world.listing("SHIRT-S").dirty


def test_a_dry_run_reports_drift_and_changes_nothing(world: World) -> None:
    world.client.update_stock([StockUpdate(world.refs["TOTE"], 0)])
    before = world.listing("TOTE")

    report = reconcile_stock(world.factory, world.client, world.shop_id, dry_run=True)

    assert [(c.listing.sku, c.observed, c.healed) for c in report.drifted] == [("TOTE", 0, False)]
    after = world.listing("TOTE")
    assert (after.confirmed_qty, after.dirty) == (before.confirmed_qty, before.dirty)
    assert world.platform_available("TOTE") == 0


def test_a_listing_gone_from_the_platform_is_reported_missing_and_left_alone(
    world: World,
) -> None:
    with unit_of_work(world.factory) as session:
        listing = session.scalar(
            select(Listing).where(Listing.shop_id == world.shop_id, Listing.seller_sku == "TOTE")
        )
        assert listing is not None
        listing.external_variant_id = "999999999"  # a variant the platform never had

    report = reconcile_stock(world.factory, world.client, world.shop_id)

    assert [(c.listing.sku, c.state) for c in report.drifted] == [("TOTE", StockState.MISSING)]
    assert report.healed == 0


def test_orders_the_platform_holds_but_we_missed_are_imported_once(world: World) -> None:
    order_id = world.sim.control.post(
        "/_sim/orders",
        json={"shop_id": world.external_shop_id, "lines": [{"sku": "SHIRT-M", "quantity": 2}]},
    ).json()["order_id"]

    first = reconcile_orders(world.factory, world.client, _orders, world.shop_id)
    second = reconcile_orders(world.factory, world.client, _orders, world.shop_id)

    assert (first.platform, first.ours, first.missing, first.imported) == (1, 0, [order_id], 1)
    assert (second.platform, second.ours, second.missing, second.imported) == (1, 1, [], 0)
    with unit_of_work(world.factory) as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 1
        reserved = session.scalar(select(func.sum(InventoryLevel.reserved)))
        assert reserved == 2


def test_an_order_dry_run_lists_the_missing_order_without_importing_it(world: World) -> None:
    world.sim.control.post(
        "/_sim/orders",
        json={"shop_id": world.external_shop_id, "lines": [{"sku": "TOTE", "quantity": 1}]},
    ).raise_for_status()

    report = reconcile_orders(world.factory, world.client, _orders, world.shop_id, dry_run=True)

    assert (report.platform, len(report.missing), report.imported) == (1, 1, 0)
    with unit_of_work(world.factory) as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 0


def test_a_shop_the_platform_throttles_is_recorded_as_transient_and_the_job_completes(
    world: World,
) -> None:
    from cryptography.fernet import Fernet

    from storesync.db.models import Shop, SyncJob
    from storesync.reconcile.run import follow_up_delay_ms, reconcile_all
    from storesync.shop.clients import ShopClients
    from storesync.shop.crypto import TokenCipher

    clients = ShopClients(
        build=lambda *_: world.client,
        cipher=TokenCipher(Fernet.generate_key().decode()),
        session_factory=world.factory,
    )
    with unit_of_work(world.factory) as session:
        shop = session.get(Shop, world.shop_id)
        assert shop is not None
        clients.store_tokens(shop, world.sim.create_shop().tokens)
    world.sim.set_faults(families={"*": {"error_rate": 1.0, "error_kind": "429"}})
    try:
        result = reconcile_all(world.factory, clients, _orders, on_dirty=lambda *_: None)
    finally:
        world.sim.set_faults()

    (one,) = result.shops
    assert (one.error_code, one.transient) == ("RATE_LIMIT_ERROR", True)
    assert follow_up_delay_ms(one.retry_after_s, 0) == 15_000
    assert follow_up_delay_ms(120.0, 2) == 120_000
    with unit_of_work(world.factory) as session:
        job = session.get(SyncJob, result.job_id)
        assert job is not None
        assert job.status == "partial"
        assert '"shops_failed": 1' in job.counts_json


class _Overlapping:
    """The real client, with two overlapping stock writes forced into the worst order: the
    older value lands on the platform last but is confirmed first."""

    def __init__(self, inner: MarketplaceClient, older: int, newer: int) -> None:
        self.inner, self.older, self.newer = inner, older, newer
        self.newer_written = threading.Event()
        self.older_confirmed = threading.Event()

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def update_stock(self, updates: list[StockUpdate]) -> object:
        if updates[0].available == self.older:
            assert self.newer_written.wait(10)
            return self.inner.update_stock(updates)
        result = self.inner.update_stock(updates)
        self.newer_written.set()
        assert self.older_confirmed.wait(10)
        return result


def test_reconciliation_heals_what_an_older_push_landing_last_left_behind(world: World) -> None:
    """Two pushes of one shop in flight at once (a redelivered job, two workers) can land out of
    order: the platform keeps the older value while StoreSync records the newer one as
    confirmed. Nothing but a read-back sees that; reconciliation finds and heals it."""
    with unit_of_work(world.factory) as session:
        InventoryService(session).adjust("SHIRT-S", -6, "adjustment")  # desired 10 -> 4
    gate = _Overlapping(world.client, older=4, newer=7)
    client: Any = gate
    older = threading.Thread(target=push_shop, args=(world.factory, client, world.shop_id))
    older.start()
    time.sleep(0.2)  # the older push has planned 4 and waits at the platform's door
    with unit_of_work(world.factory) as session:
        InventoryService(session).adjust("SHIRT-S", 3, "adjustment")  # desired 4 -> 7
    newer = threading.Thread(target=push_shop, args=(world.factory, client, world.shop_id))
    newer.start()
    older.join(15)
    gate.older_confirmed.set()
    newer.join(15)
    listing = world.listing("SHIRT-S")
    assert (listing.desired_qty, listing.confirmed_qty, listing.dirty) == (7, 7, False)
    assert world.platform_available("SHIRT-S") == 4  # the drift nobody else notices

    report = reconcile_stock(world.factory, world.client, world.shop_id)

    assert [(c.listing.sku, c.observed, c.healed) for c in report.drifted] == [("SHIRT-S", 4, True)]
    push_shop(world.factory, world.client, world.shop_id)
    assert world.platform_available("SHIRT-S") == 7
