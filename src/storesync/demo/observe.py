"""What StoreSync itself recorded, read straight from its database for the view and the summary.

A plain read-only use of the engine: no BEGIN IMMEDIATE (the server's writers take that), so on
the embedded SQLite in WAL mode these reads never wait for, nor block, the sync engine.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from storesync.db.models import InventoryLevel, Listing, Order, SyncJob, Variant, WebhookEvent
from storesync.domain.inventory import StockLevel


@dataclass(frozen=True)
class Recorded:
    orders: int = 0
    duplicates: int = 0
    oversold_units: int = 0
    listings: int = 0
    dirty: int = 0
    push_jobs: int = 0
    pushed: int = 0
    errors_by_code: dict[str, int] = field(default_factory=dict)


class StoreSyncDb:
    def __init__(self, database_url: str) -> None:
        self.engine = create_engine(database_url, connect_args={"timeout": 5})

    def close(self) -> None:
        self.engine.dispose()

    def recorded(self) -> Recorded:
        with Session(self.engine) as s:
            per_key = (
                select(func.count().label("n"))
                .select_from(Order)
                .group_by(Order.platform, Order.shop_id, Order.external_id)
                .subquery()
            )
            stock_jobs = select(SyncJob).where(SyncJob.kind == "stock")
            return Recorded(
                orders=s.scalar(select(func.count()).select_from(Order)) or 0,
                # The unique key should make this 0 by construction; counting it proves it.
                duplicates=s.scalar(select(func.coalesce(func.sum(per_key.c.n - 1), 0))) or 0,
                oversold_units=s.scalar(select(func.coalesce(func.sum(InventoryLevel.oversold), 0)))
                or 0,
                listings=s.scalar(select(func.count()).select_from(Listing)) or 0,
                dirty=s.scalar(select(func.count()).where(Listing.dirty.is_(True))) or 0,
                push_jobs=s.scalar(select(func.count()).select_from(stock_jobs.subquery())) or 0,
                pushed=sum(
                    json.loads(c).get("pushed", 0)
                    for c in s.scalars(select(SyncJob.counts_json).where(SyncJob.kind == "stock"))
                ),
                errors_by_code=_errors_by_code(s),
            )

    def master_available(self) -> dict[str, int]:
        """What the master says every channel may sell, per SKU (summed over warehouses)."""
        with Session(self.engine) as s:
            rows = s.execute(
                select(
                    Variant.sku,
                    InventoryLevel.on_hand,
                    InventoryLevel.reserved,
                    InventoryLevel.safety,
                ).join(InventoryLevel, InventoryLevel.variant_id == Variant.id)
            )
            totals: Counter[str] = Counter()
            for sku, on_hand, reserved, safety in rows:
                totals[sku] += StockLevel(
                    on_hand=on_hand, reserved=reserved, safety=safety
                ).available
            return dict(totals)


def _errors_by_code(s: Session) -> dict[str, int]:
    """Job errors (failed runs), per-variant push failures (`error_<CODE>` counts), and webhook
    events whose processing is failing now or that were rejected (a forged signature)."""
    codes: Counter[str] = Counter()
    rows = s.execute(
        select(SyncJob.errors_json, SyncJob.counts_json).where(
            (SyncJob.errors_json != "[]") | SyncJob.counts_json.contains("error_")
        )
    )
    for errors_json, counts_json in rows:
        for error in json.loads(errors_json):
            codes[str(error.get("code", "UNKNOWN"))] += 1
        for key, n in json.loads(counts_json).items():
            if key.startswith("error_"):
                codes[key.removeprefix("error_")] += int(n)
    webhook_errors = s.execute(
        select(WebhookEvent.error_code, func.count())
        .where(WebhookEvent.error_code.is_not(None))
        .group_by(WebhookEvent.error_code)
    )
    for code, n in webhook_errors:
        codes[str(code)] += int(n)
    return dict(codes)
