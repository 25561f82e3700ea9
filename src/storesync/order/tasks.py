"""`order.poll`: a shop's orders by update time from its checkpoint (order/intake.py), Shopee's
lost pushes, and the webhook-health check that turns fast polling on when webhooks went quiet."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from storesync.config import Settings
from storesync.db.engine import unit_of_work
from storesync.db.models import Shop
from storesync.job.records import run_job
from storesync.listing.requests import push_on_commit
from storesync.order.intake import poll_orders
from storesync.order.service import order_services
from storesync.shop.clients import ShopClients
from storesync.shop.pausing import pause_on_auth_failure
from storesync.webhook.health import after_poll
from storesync.webhook.lost import fetch_lost_pushes
from storesync.worker.jobs import Jobs
from storesync.worker.registry import task
from storesync.worker.scheduler import poll_key


@task("order.poll", queue="orders")
def poll(
    shop_id: int,
    since: str | None = None,
    kind: str = "orders",
    *,
    db: sessionmaker[Session],
    clients: ShopClients,
    jobs: Jobs,
    settings: Settings,
) -> None:
    jobs.started(poll_key(shop_id))
    with unit_of_work(db) as session:
        shop = session.get(Shop, shop_id)
        if shop is None or shop.status != "active":
            return
        client = clients.for_shop(shop)
    since_dt = datetime.fromisoformat(since) if since else None
    orders_for = order_services(push_on_commit(jobs))
    with (
        pause_on_auth_failure(db, clients, shop_id),
        run_job(db, kind, shop_id, since=since) as run,
    ):
        poll_orders(db, client, orders_for, shop_id, run, since=since_dt)
        fetch_lost_pushes(db, client, jobs, shop_id)
    if kind == "orders" and since is None:
        after_poll(db, shop_id, run.counts, timedelta(seconds=settings.webhook_quiet_s))
