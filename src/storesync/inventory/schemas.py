"""API shapes for inventory."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, Field

from storesync.deps import NoNul
from storesync.domain.inventory import MAX_UNITS

# Variant.sku is 100 characters; a longer path segment cannot name one.
Sku = Annotated[str, Path(min_length=1, max_length=100)]
# The domain's MANUAL_REASONS, spelled out for the OpenAPI schema (a test keeps them equal).
ManualReason = Literal["adjustment", "return_restocked"]


class ListingStock(BaseModel):
    shop_id: int
    desired: int
    confirmed: int | None
    dirty: bool
    last_error_code: str | None = None


class InventoryOut(BaseModel):
    sku: str
    on_hand: int
    reserved: int
    safety: int
    available: int
    oversold: int
    listings: list[ListingStock]


class AdjustmentIn(BaseModel):
    delta: int = Field(
        ge=-MAX_UNITS,
        le=MAX_UNITS,
        description="units to add (positive) or remove (negative); not 0",
    )
    reason: ManualReason = Field(
        default="adjustment",
        description="adjustment (counted or received), or return_restocked (a return came back)",
    )
    note: Annotated[str, NoNul] = Field(default="", max_length=500)


class LedgerEntryOut(BaseModel):
    id: int
    delta: int
    balance_after: int
    reason: str
    actor: str
    correlation_id: str | None
    order_id: int | None
    note: str
    created_at: datetime
