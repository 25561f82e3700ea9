"""`catalog.import`: a shop's catalog, read from its platform and matched by SKU (recorded as an
"import" sync job). Sent after a shop connects and by `POST /api/v1/shops/{id}/import`."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from storesync.catalog.importing import import_catalog
from storesync.db.engine import unit_of_work
from storesync.db.models import Shop
from storesync.job.records import run_job
from storesync.listing.requests import push_on_commit
from storesync.shop.clients import ShopClients
from storesync.shop.pausing import pause_on_auth_failure
from storesync.worker.jobs import Jobs
from storesync.worker.registry import task


@task("catalog.import", queue="default", max_retries=3, time_limit_ms=600_000)
def import_shop_catalog(
    shop_id: int,
    job_id: int | None = None,
    *,
    db: sessionmaker[Session],
    clients: ShopClients,
    jobs: Jobs,
) -> None:
    with unit_of_work(db) as session:
        shop = session.get(Shop, shop_id)
        if shop is None:
            return
        client = clients.for_shop(shop)
    with (
        pause_on_auth_failure(db, clients, shop_id),
        run_job(db, "import", shop_id, job_id=job_id) as run,
    ):
        import_catalog(db, client, shop_id, run, on_dirty_shop=push_on_commit(jobs))
