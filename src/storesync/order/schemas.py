"""API shapes for orders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel


class OrderLineOut(BaseModel):
    sku: str
    quantity: int
    unit_price: Decimal
    reserved_qty: int
    oversold_qty: int


class OrderOut(BaseModel):
    id: int
    platform: str
    shop_id: int
    external_id: str
    status: str
    raw_status: str
    platform_created_at: datetime
    platform_updated_at: datetime
    currency: str
    total: Decimal
    imported_at: datetime
    lines: list[OrderLineOut] = []
