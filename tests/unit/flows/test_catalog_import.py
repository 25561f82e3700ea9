"""`catalog.import`: the first shop seeds the master catalog with what it holds; later shops are
linked to it by SKU, and what cannot be matched waits for review."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storesync.catalog.tasks import import_shop_catalog
from storesync.db.engine import unit_of_work
from storesync.db.models import CatalogReview, InventoryLevel, Listing, SyncJob, Variant
from storesync.domain.platform import Platform
from storesync.testing.fakes import FakeClient, FakeClients
from storesync.testing.jobs import RecordingJobs
from tests.seeds import make_shop, remote_product

SHIRT = remote_product("Linen shirt", "100", ("SHIRT-S", 4, 1), ("SHIRT-M", 2, 0))
TOTE = remote_product("Canvas tote", "200", ("TOTE", 3, 0))


def _shops(factory: sessionmaker[Session]) -> tuple[int, int]:
    with unit_of_work(factory) as session:
        return make_shop(session).id, make_shop(session, "tiktok", "2002").id


def _import(factory: sessionmaker[Session], shop_id: int, clients: FakeClients) -> None:
    import_shop_catalog(shop_id, db=factory, clients=clients, jobs=RecordingJobs())


def test_the_first_import_seeds_the_master_catalog_with_what_the_shop_holds(
    factory: sessionmaker[Session],
) -> None:
    shopee, _ = _shops(factory)
    fake = FakeClient(products=[SHIRT, TOTE])

    _import(factory, shopee, FakeClients(fake))

    with unit_of_work(factory) as session:
        on_hand = dict(
            session.execute(
                select(Variant.sku, InventoryLevel.on_hand).join(
                    InventoryLevel, InventoryLevel.variant_id == Variant.id
                )
            ).all()
        )
        # What the shop holds, its own open orders' units included (they are imported later).
        assert on_hand == {"SHIRT-S": 5, "SHIRT-M": 2, "TOTE": 3}
        confirmed = dict(session.execute(select(Listing.seller_sku, Listing.confirmed_qty)).all())
        assert confirmed == {"SHIRT-S": 4, "SHIRT-M": 2, "TOTE": 3}
        job = session.scalars(select(SyncJob).where(SyncJob.kind == "import")).one()
        assert job.status == "succeeded"
        assert '"created": 3' in job.counts_json
    assert fake.methods == ["list_products"]


def test_a_later_import_links_by_sku_and_parks_what_it_cannot_match(
    factory: sessionmaker[Session],
) -> None:
    shopee, tiktok = _shops(factory)
    mug = remote_product("Mug", "T-9", ("MUG", 5, 0))
    shirt_on_tiktok = remote_product("Linen shirt", "T-1", ("SHIRT-S", 9, 0))
    clients = FakeClients(
        shops={
            shopee: FakeClient(products=[SHIRT, TOTE]),
            tiktok: FakeClient(Platform.TIKTOK, products=[shirt_on_tiktok, mug]),
        }
    )
    _import(factory, shopee, clients)

    _import(factory, tiktok, clients)

    with unit_of_work(factory) as session:
        assert session.scalars(select(Variant.sku).order_by(Variant.sku)).all() == [
            "SHIRT-M",
            "SHIRT-S",
            "TOTE",
        ]
        linked = session.scalars(select(Listing).where(Listing.shop_id == tiktok)).all()
        shirt = session.scalars(select(Variant).where(Variant.sku == "SHIRT-S")).one()
        assert [(row.seller_sku, row.variant_id) for row in linked] == [("SHIRT-S", shirt.id)]
        [parked] = session.scalars(select(CatalogReview)).all()
        assert (parked.shop_id, parked.seller_sku, parked.resolved) == (tiktok, "MUG", False)
