"""API shapes for the catalog."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class ReviewItem(BaseModel):
    id: int
    shop_id: int
    external_item_id: str
    external_variant_id: str
    seller_sku: str | None
    name: str
    reason: str
    created_at: datetime
