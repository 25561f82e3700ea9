"""Orders imported from every shop, unique per (platform, shop, external id), and their lines."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storesync.db.base import Base, utcnow


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("platform", "shop_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    external_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24), index=True)
    raw_status: Mapped[str] = mapped_column(String(40))
    platform_created_at: Mapped[datetime]
    platform_updated_at: Mapped[datetime]
    currency: Mapped[str] = mapped_column(String(8), default="")
    total: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OrderLine(Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variants.id"), index=True)
    sku: Mapped[str] = mapped_column(String(100))
    external_item_id: Mapped[str] = mapped_column(String(64), default="")
    external_variant_id: Mapped[str] = mapped_column(String(64), default="")
    quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    # How the line's units were covered when the order arrived (domain.inventory.Reservation).
    reserved_qty: Mapped[int] = mapped_column(default=0)
    oversold_qty: Mapped[int] = mapped_column(default=0)
    # True while the reserved units still count in inventory_levels.reserved.
    holds_stock: Mapped[bool] = mapped_column(default=False)
