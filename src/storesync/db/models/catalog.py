"""Master catalog: products, variants (our SKU), and listings waiting for review."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storesync.db.base import Base, utcnow


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Variant(Base):
    __tablename__ = "variants"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    sku: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(300), default="")
    price: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    weight_g: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(16), default="active")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CatalogReview(Base):
    """A platform listing we could not link to exactly one master variant; a person decides."""

    __tablename__ = "catalog_review"
    __table_args__ = (UniqueConstraint("shop_id", "external_item_id", "external_variant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    external_item_id: Mapped[str] = mapped_column(String(64))
    external_variant_id: Mapped[str] = mapped_column(String(64))
    seller_sku: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300), default="")
    reason: Mapped[str] = mapped_column(String(16))  # unmatched | duplicate | missing_sku
    resolved: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
