"""A master variant's presence on one shop: what it should show there and what was confirmed.

The listing is dirty while `desired_qty != confirmed_qty`; the push job converges it. Because the
desired state lives here, a crash or a lost message only delays a push, never loses it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storesync.db.base import Base, utcnow


class Listing(Base):
    __tablename__ = "listings"
    __table_args__ = (
        UniqueConstraint("shop_id", "external_item_id", "external_variant_id"),
        Index("ix_listings_shop_id_dirty", "shop_id", "dirty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"), index=True)
    external_item_id: Mapped[str] = mapped_column(String(64))
    external_variant_id: Mapped[str] = mapped_column(String(64))
    seller_sku: Mapped[str] = mapped_column(String(100))
    desired_qty: Mapped[int] = mapped_column(default=0)
    confirmed_qty: Mapped[int | None]
    # Stored (not derived in SQL) so the push job finds dirty rows by index.
    dirty: Mapped[bool] = mapped_column(default=True)
    desired_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    # The shop's push sequence number of the push whose write was last recorded as confirmed: a
    # push confirming with an older number may have landed after it (listing/push.py).
    confirmed_seq: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error_code: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(String(500))
