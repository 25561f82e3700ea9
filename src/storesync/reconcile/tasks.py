"""`reconcile.run`: one reconciliation pass (reconcile/run.py), then follow-ups for the shops
whose pass failed for a passing reason."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from storesync.db.engine import unit_of_work
from storesync.listing.requests import push_on_commit
from storesync.order.service import order_services
from storesync.reconcile.run import MAX_FOLLOW_UPS, follow_up_delay_ms, reconcile_all
from storesync.reconcile.service import active_shop_ids
from storesync.shop.clients import ShopClients
from storesync.worker.jobs import Jobs
from storesync.worker.registry import task

RECONCILE_TASK = "reconcile.run"


@task(RECONCILE_TASK, queue="default", max_retries=1, time_limit_ms=900_000)
def reconcile(
    job_id: int | None = None,
    shop_id: int | None = None,
    dry_run: bool = False,
    follow_up: int = 0,
    *,
    db: sessionmaker[Session],
    clients: ShopClients,
    jobs: Jobs,
) -> None:
    if job_id is None:
        with unit_of_work(db) as session:
            if not active_shop_ids(session, shop_id):
                return  # a scheduled pass with nothing to check leaves no record
    push = push_on_commit(jobs)
    result = reconcile_all(
        db,
        clients,
        order_services(push),
        shop_id=shop_id,
        dry_run=dry_run,
        job_id=job_id,
        on_dirty=push,
        **({"follow_up": follow_up} if follow_up else {}),
    )
    if follow_up >= MAX_FOLLOW_UPS:
        return  # the next scheduled pass takes it from here
    for one in result.shops:
        if one.transient:
            jobs.send(
                RECONCILE_TASK,
                delay_ms=follow_up_delay_ms(one.retry_after_s, follow_up),
                shop_id=one.shop_id,
                dry_run=dry_run,
                follow_up=follow_up + 1,
            )
