"""API shapes for inventory."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


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
    delta: int = Field(description="units to add (positive) or remove (negative); not 0")
    reason: str = Field(default="adjustment", min_length=1, max_length=32)
    note: str = Field(default="", max_length=500)


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
