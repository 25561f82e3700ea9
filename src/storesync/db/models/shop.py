"""A connected marketplace shop and its (encrypted) credentials."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storesync.db.base import Base, utcnow


class Shop(Base):
    __tablename__ = "shops"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(8))
    # active | paused (auth failed: sync stops until reconnected) | disconnected
    status: Mapped[str] = mapped_column(String(16), default="active")
    # Fernet ciphertext; plaintext tokens never touch the database.
    access_token_enc: Mapped[str | None] = mapped_column(Text)
    refresh_token_enc: Mapped[str | None] = mapped_column(Text)
    access_expires_at: Mapped[datetime | None]
    refresh_expires_at: Mapped[datetime | None]
    # Platform-specific connection data that is not secret (e.g. TikTok's shop cipher).
    extra_json: Mapped[str] = mapped_column(Text, default="{}")
    # Why sync is paused (e.g. the refresh token was refused); cleared on reconnect.
    paused_reason: Mapped[str | None] = mapped_column(String(500))
    # When the seller's grant itself ends (Shopee: 365 days), to warn ahead of it.
    authorization_expires_at: Mapped[datetime | None]
    # Webhook health: when the last verified webhook arrived, and failures since the last success.
    last_webhook_at: Mapped[datetime | None]
    webhook_failures: Mapped[int] = mapped_column(default=0)
    # "normal" or "fast": fast polling while webhooks are quiet but orders still change.
    poll_mode: Mapped[str] = mapped_column(String(8), default="normal")
    # Taken by every stock push as it plans, under this row's lock (listing/push.py).
    push_seq: Mapped[int] = mapped_column(default=0, server_default="0")
    # How far the platform's clock is ahead of ours (ms), and when we last learnt it
    # (domain/clock.py): orders' platform times are compared with our writes' times.
    clock_offset_ms: Mapped[int | None]
    clock_offset_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
