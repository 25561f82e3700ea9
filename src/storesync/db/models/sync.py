"""Sync bookkeeping: recorded jobs, per-shop checkpoints, and raw inbound webhook events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storesync.db.base import Base, utcnow


class SyncJob(Base):
    """Every sync run: kind, shop, outcome, counts and error codes; visible and retryable."""

    __tablename__ = "sync_jobs"
    __table_args__ = (Index("ix_sync_jobs_shop_id_status", "shop_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))  # import | stock | orders | resync | reconcile
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    counts_json: Mapped[str] = mapped_column(Text, default="{}")
    errors_json: Mapped[str] = mapped_column(Text, default="[]")
    params_json: Mapped[str] = mapped_column(Text, default="{}")
    correlation_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    duration_ms: Mapped[int | None]


class SyncCheckpoint(Base):
    """How far a shop's resource has been read; only ever moves forward."""

    __tablename__ = "sync_checkpoints"
    __table_args__ = (UniqueConstraint("shop_id", "resource"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    resource: Mapped[str] = mapped_column(String(24))  # orders | products
    position: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WebhookEvent(Base):
    """A webhook as received: raw body kept, deduplicated by the platform's event id."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        UniqueConstraint("platform", "event_id"),
        Index("ix_webhook_events_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    # NULL for rejected (unverifiable) deliveries, which are kept only as a record.
    event_id: Mapped[str | None] = mapped_column(String(128))
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"))
    kind: Mapped[str] = mapped_column(String(24), default="other")
    # received | processed | failed | rejected | ignored
    status: Mapped[str] = mapped_column(String(16), default="received")
    body: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    error_code: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(String(500))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]


class RejectedDelivery(Base):
    """A bounded sample of forged or unsigned webhook deliveries (webhook/rejected.py keeps it
    small): enough to see who is knocking, never enough to fill the disk."""

    __tablename__ = "rejected_deliveries"
    __table_args__ = (Index("ix_rejected_deliveries_received_at", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32))  # signature | unparseable
    remote: Mapped[str] = mapped_column(String(64), default="")
    sample: Mapped[str] = mapped_column(String(1000), default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
