"""A reconciliation pass: every active shop (or one), stock and orders, recorded as one SyncJob.

Run by the `reconcile.run` task (hourly by default, `STORESYNC_RECONCILE_INTERVAL_S`, and when the
API asks) and by `storesync reconcile`. A shop that fails (platform down, breaker open) is recorded
in the job's errors with its code and the others still run: the next pass covers it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy.orm import Session, sessionmaker

from storesync.db.engine import unit_of_work
from storesync.db.models import Shop, SyncJob
from storesync.errors import StoreSyncError
from storesync.job.records import run_job
from storesync.order.service import OrderServiceFactory
from storesync.reconcile.service import (
    DirtyHook,
    OrderReport,
    StockReport,
    active_shop_ids,
    reconcile_orders,
    reconcile_stock,
)
from storesync.shop.clients import ShopClients

log = structlog.get_logger(__name__)

MAX_DETAILS = 200  # drifted listings / missing orders kept in the job record (it stays readable)
MAX_FOLLOW_UPS = 3  # per shop, after a transient failure; then the next scheduled pass


@dataclass
class ShopResult:
    shop_id: int
    platform: str
    name: str
    stock: StockReport | None = None
    orders: OrderReport | None = None
    error_code: str | None = None
    error: str | None = None
    transient: bool = False  # the failure is worth another go soon (a follow-up job)
    retry_after_s: float | None = None


@dataclass
class Reconciliation:
    job_id: int
    dry_run: bool
    shops: list[ShopResult] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        total: dict[str, int] = {"shops": len(self.shops), "shops_failed": 0}
        for result in self.shops:
            total["shops_failed"] += int(result.error_code is not None)
            parts = [
                result.stock.counts() if result.stock else {},
                result.orders.counts() if result.orders else {},
            ]
            for part in parts:
                for key, value in part.items():
                    total[key] = total.get(key, 0) + value
        return total

    def details(self) -> dict[str, Any]:
        drifted = [c.as_dict() for r in self.shops if r.stock for c in r.stock.drifted]
        missing = [
            {"shop_id": r.shop_id, "external_id": ext_id}
            for r in self.shops
            if r.orders
            for ext_id in r.orders.missing
        ]
        return {
            "drifted": drifted[:MAX_DETAILS],
            "drifted_skus": sorted({str(d["sku"]) for d in drifted}),
            "missing_orders": missing[:MAX_DETAILS],
        }


def reconcile_all(
    factory: sessionmaker[Session],
    clients: ShopClients,
    orders_for: OrderServiceFactory,
    *,
    shop_id: int | None = None,
    dry_run: bool = False,
    job_id: int | None = None,
    on_dirty: DirtyHook,
    **params: Any,
) -> Reconciliation:
    with unit_of_work(factory) as session:
        shops = [
            (s.id, s.platform, s.name)
            for sid in active_shop_ids(session, shop_id)
            if (s := session.get(Shop, sid)) is not None
        ]
    with run_job(
        factory, "reconcile", shop_id, job_id=job_id, dry_run=dry_run, shop=shop_id, **params
    ) as run:
        result = Reconciliation(run.id, dry_run)
        for sid, platform, name in shops:
            one = ShopResult(sid, platform, name)
            result.shops.append(one)
            try:
                with unit_of_work(factory) as session:
                    shop = session.get(Shop, sid)
                    assert shop is not None
                    client = clients.for_shop(shop)
                one.stock = reconcile_stock(
                    factory, client, sid, dry_run=dry_run, on_dirty=on_dirty
                )
                one.orders = reconcile_orders(factory, client, orders_for, sid, dry_run=dry_run)
            except StoreSyncError as exc:
                # One shop's platform trouble must not stop the others; a follow-up retries it.
                one.error_code, one.error = exc.code.value, exc.message
                one.transient, one.retry_after_s = exc.retryable, exc.retry_after
                run.error(exc, shop_id=sid)
                log.warning("reconcile_shop_failed", shop_id=sid, code=exc.code.value)
        for key, value in result.counts().items():
            run.count(key, value)
    _record_details(factory, result)
    log.info("reconciled", job_id=result.job_id, dry_run=dry_run, **result.counts())
    return result


def _record_details(factory: sessionmaker[Session], result: Reconciliation) -> None:
    with unit_of_work(factory) as session:
        job = session.get(SyncJob, result.job_id)
        if job is not None:
            params = json.loads(job.params_json or "{}")
            job.params_json = json.dumps(params | result.details(), default=str)


def follow_up_delay_ms(retry_after_s: float | None, follow_up: int) -> int:
    """When to try a shop again whose pass failed for a passing reason (a rate budget spent, a
    breaker open or ramping back up): 15 s doubling (15, 30, 60 s: a breaker's cool-down and
    ramp fit in), later if the platform or our limiter says so, at most 5 min. A retry_after of
    under a second is not worth a whole pass again so soon."""
    seconds = max(15.0 * 2**follow_up, retry_after_s or 0.0)
    return int(min(300.0, seconds) * 1000)
