"""`/api/v1/catalog/review`: listings waiting for a person (unmatched, duplicate, no SKU)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from storesync.auth.policy import VIEWER
from storesync.catalog.schemas import ReviewItem
from storesync.db.models import CatalogReview
from storesync.deps import DEFAULT_PAGE_SIZE, Db, Limit, Offset

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog"])


@router.get(
    "/review",
    response_model=list[ReviewItem],
    summary="Listings to review",
    dependencies=[VIEWER],
)
def review(
    db: Db, include_resolved: bool = False, limit: Limit = DEFAULT_PAGE_SIZE, offset: Offset = 0
) -> list[ReviewItem]:
    query = select(CatalogReview).order_by(CatalogReview.id).limit(limit).offset(offset)
    if not include_resolved:
        query = query.where(CatalogReview.resolved.is_(False))
    return [ReviewItem.model_validate(row, from_attributes=True) for row in db.scalars(query)]
