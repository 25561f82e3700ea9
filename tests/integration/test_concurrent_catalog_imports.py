"""Shops connected together import their catalogs at once. On PostgreSQL the imports race on the
master catalog (both find it empty, both seed it, the second hits `uq_variants_sku`); they must
converge on one master catalog with every shop linked, never fail or dead-letter."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storesync.catalog.importing import import_catalog
from storesync.db.engine import unit_of_work
from storesync.db.models import Listing, SyncJob, Variant
from storesync.job.records import run_job
from storesync.testing.fakes import FakeClient
from tests.seeds import make_shop, remote_product

SHOPS = 4
SKUS = [f"TEE-{size}" for size in ("S", "M", "L", "XL")] + ["MUG", "CAP"]


def catalog_client(shop: int, together: threading.Barrier) -> FakeClient:
    """A shop listing the same SKUs as every other; all shops finish reading at one moment."""
    products = [remote_product(sku, f"{shop}{n:03d}", (sku, 5, 0)) for n, sku in enumerate(SKUS)]
    return FakeClient(products=products).during("list_products", lambda: together.wait(30))


@pytest.fixture
def shop_ids(factory: sessionmaker[Session]) -> list[int]:
    with unit_of_work(factory) as session:
        return [make_shop(session, "shopee", str(1000 + n)).id for n in range(SHOPS)]


def test_four_shops_importing_at_once_share_one_master_catalog(
    factory: sessionmaker[Session], shop_ids: list[int]
) -> None:
    together = threading.Barrier(SHOPS)
    failures: list[BaseException] = []

    def run(index: int, shop_id: int) -> None:
        try:
            with run_job(factory, "import", shop_id) as job:
                client = catalog_client(index, together)
                import_catalog(factory, client, shop_id, job, on_dirty_shop=lambda *_: None)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i, s)) for i, s in enumerate(shop_ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    with unit_of_work(factory) as session:
        assert session.scalar(select(func.count()).select_from(Variant)) == len(SKUS)
        linked = session.execute(
            select(Listing.shop_id, func.count()).group_by(Listing.shop_id)
        ).all()
        assert sorted(linked) == sorted((shop_id, len(SKUS)) for shop_id in shop_ids)
        statuses = session.scalars(select(SyncJob.status).where(SyncJob.kind == "import")).all()
        assert statuses == ["succeeded"] * SHOPS
