"""`/api/v1/inventory/{sku}`: stock, adjustments, ledger."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from storesync.audit import service as audit
from storesync.auth.policy import OPERATOR, VIEWER, Actor
from storesync.db.models import LedgerEntry, Listing
from storesync.deps import DEFAULT_PAGE_SIZE, Db, JobsDep, Limit, Offset
from storesync.domain.inventory import StockLevel
from storesync.inventory.schemas import (
    AdjustmentIn,
    InventoryOut,
    LedgerEntryOut,
    ListingStock,
    Sku,
)
from storesync.inventory.service import InventoryService
from storesync.listing.requests import push_on_commit

router = APIRouter(prefix="/api/v1/inventory", tags=["inventory"])


def inventory_view(db: Session, sku: str) -> InventoryOut:
    service = InventoryService(db)
    variant = service.variant_by_sku(sku)
    level = service.level(variant.id)
    listings = db.scalars(
        select(Listing).where(Listing.variant_id == variant.id).order_by(Listing.shop_id)
    )
    return InventoryOut(
        sku=variant.sku,
        on_hand=level.on_hand,
        reserved=level.reserved,
        safety=level.safety,
        available=StockLevel(level.on_hand, level.reserved, level.safety).available,
        oversold=level.oversold,
        listings=[
            ListingStock(
                shop_id=listing.shop_id,
                desired=listing.desired_qty,
                confirmed=listing.confirmed_qty,
                dirty=listing.dirty,
                last_error_code=listing.last_error_code,
            )
            for listing in listings
        ],
    )


@router.get(
    "/{sku}",
    response_model=InventoryOut,
    summary="Stock of one SKU and its listings",
    dependencies=[VIEWER],
)
def get_inventory(sku: Sku, db: Db) -> InventoryOut:
    return inventory_view(db, sku)


@router.post(
    "/{sku}/adjustments",
    response_model=InventoryOut,
    summary="Adjust on hand",
    dependencies=[OPERATOR],
)
def adjust(sku: Sku, body: AdjustmentIn, db: Db, jobs: JobsDep, who: Actor) -> InventoryOut:
    before = inventory_view(db, sku)
    service = InventoryService(db, actor=who.actor, on_dirty_shop=push_on_commit(jobs))
    service.adjust(sku, body.delta, body.reason, note=body.note)
    db.flush()
    after = inventory_view(db, sku)
    audit.record(
        db,
        who,
        "inventory.adjust",
        sku,
        before={"on_hand": before.on_hand},
        after={"on_hand": after.on_hand, "delta": body.delta, "reason": body.reason},
    )
    return after


@router.get(
    "/{sku}/ledger",
    response_model=list[LedgerEntryOut],
    summary="Stock ledger",
    dependencies=[VIEWER],
)
def ledger(
    sku: Sku, db: Db, limit: Limit = DEFAULT_PAGE_SIZE, offset: Offset = 0
) -> list[LedgerEntryOut]:
    variant = InventoryService(db).variant_by_sku(sku)
    rows = db.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.variant_id == variant.id)
        .order_by(LedgerEntry.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [LedgerEntryOut.model_validate(row, from_attributes=True) for row in rows]
