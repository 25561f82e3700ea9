"""`/api/v1/catalog/review`: listings waiting for a person (unmatched, duplicate, no SKU)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from storesync.db.models import CatalogReview
from storesync.deps import Db

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog"])


class ReviewItem(BaseModel):
    id: int
    shop_id: int
    external_item_id: str
    external_variant_id: str
    seller_sku: str | None
    name: str
    reason: str
    created_at: datetime


@router.get("/review", response_model=list[ReviewItem], summary="Listings to review")
def review(db: Db, include_resolved: bool = False) -> list[ReviewItem]:
    query = select(CatalogReview).order_by(CatalogReview.id)
    if not include_resolved:
        query = query.where(CatalogReview.resolved.is_(False))
    return [ReviewItem.model_validate(row, from_attributes=True) for row in db.scalars(query)]
