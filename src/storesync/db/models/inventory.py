"""Stock per variant (one warehouse for now) and the append-only ledger that explains on_hand."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storesync.db.base import Base, utcnow


class InventoryLevel(Base):
    __tablename__ = "inventory_levels"
    __table_args__ = (UniqueConstraint("variant_id", "warehouse"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"))
    warehouse: Mapped[str] = mapped_column(String(32), default="main")
    on_hand: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    safety: Mapped[int] = mapped_column(default=0)
    # Units platforms sold beyond what we had (inside the propagation window): shown, never lost.
    oversold: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LedgerEntry(Base):
    """Never updated or deleted: SUM(delta) per variant equals its on_hand."""

    __tablename__ = "stock_ledger"
    __table_args__ = (Index("ix_stock_ledger_variant_id_id", "variant_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"))
    warehouse: Mapped[str] = mapped_column(String(32), default="main")
    delta: Mapped[int]
    balance_after: Mapped[int]
    reason: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(100))
    correlation_id: Mapped[str | None] = mapped_column(String(128))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
