"""Order intake by polling (and the fetch step webhooks share).

Polling reads orders by platform `update_time` from a per-shop checkpoint with an overlapping
window, so an order whose webhook was lost is still imported on the next poll. The checkpoint only
moves forward, and only past a window that was fully processed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storesync.db.base import utcnow
from storesync.db.engine import unit_of_work
from storesync.db.models import Shop, SyncCheckpoint
from storesync.job.records import JobRun
from storesync.marketplaces.base import MarketplaceClient
from storesync.order.service import OrderServiceFactory, UpsertResult
from storesync.shop.clock import on_platform_clock

OVERLAP = timedelta(minutes=5)  # platforms index updates late; re-reading 5 min is cheap
FIRST_POLL_LOOKBACK = timedelta(days=1)
FUTURE_SLACK = timedelta(minutes=5)  # our clock may trail the platform's a little
DETAIL_BATCH = 50


def import_orders(
    factory: sessionmaker[Session],
    client: MarketplaceClient,
    orders_for: OrderServiceFactory,
    shop_id: int,
    external_ids: Sequence[str],
    run: JobRun | None = None,
) -> list[UpsertResult]:
    """Fetch details for `external_ids` (50 per call) and upsert them, one transaction per order.

    One order per transaction, not one batch: an order locks its inventory rows in variant-id
    order, which rules out deadlocks only while a transaction holds a single order's locks. A
    batch of orders locks {3, 7} then {2, 5}; a concurrent import taking 2 then 7 deadlocks with
    it (seen under load: PostgreSQL aborted one of two overlapping polls).
    """
    results: list[UpsertResult] = []
    unique = list(dict.fromkeys(external_ids))
    for start in range(0, len(unique), DETAIL_BATCH):
        remote_orders = client.get_orders(unique[start : start + DETAIL_BATCH])
        for remote in remote_orders:
            with unit_of_work(factory) as session:
                shop = session.get(Shop, shop_id)
                assert shop is not None
                result = orders_for(session).upsert(shop, remote)
            results.append(result)
            if run is not None:
                run.count(
                    "created" if result.created else "updated" if result.applied else "unchanged"
                )
    return results


def checkpoint(session: Session, shop_id: int, resource: str = "orders") -> datetime | None:
    row = session.scalar(
        select(SyncCheckpoint).where(
            SyncCheckpoint.shop_id == shop_id, SyncCheckpoint.resource == resource
        )
    )
    return row.position if row else None


def advance_checkpoint(
    session: Session, shop_id: int, position: datetime, resource: str = "orders"
) -> None:
    row = session.scalar(
        select(SyncCheckpoint)
        .where(SyncCheckpoint.shop_id == shop_id, SyncCheckpoint.resource == resource)
        .with_for_update()
    )
    if row is None:
        session.add(SyncCheckpoint(shop_id=shop_id, resource=resource, position=position))
    elif position > row.position:  # never backwards, even if two polls finish out of order
        row.position = position


def poll_orders(
    factory: sessionmaker[Session],
    client: MarketplaceClient,
    orders_for: OrderServiceFactory,
    shop_id: int,
    run: JobRun,
    since: datetime | None = None,
) -> None:
    now = utcnow()
    with unit_of_work(factory) as session:
        last = checkpoint(session, shop_id)
        shop = session.get(Shop, shop_id)
        assert shop is not None
        start = since or ((last - OVERLAP) if last else now - FIRST_POLL_LOOKBACK)
        # The window is asked in the platform's update times: on its clock, not ours, so a
        # platform clock minutes off ours (domain/clock.py) still falls inside the overlap.
        start = on_platform_clock(shop, start) if since is None else start
        end = on_platform_clock(shop, now + FUTURE_SLACK)
    refs = list(client.list_orders(start, end))
    run.count("listed", len(refs))
    import_orders(factory, client, orders_for, shop_id, [r.external_id for r in refs], run)
    with unit_of_work(factory) as session:
        # `now`, not `end`: orders updated between now and end may not be indexed yet.
        advance_checkpoint(session, shop_id, now)
