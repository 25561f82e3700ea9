"""What the automated responses leave behind for people: dead letters and breaker history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storesync.db.base import Base, utcnow


class DeadLetter(Base):
    """A job that exhausted its retries (or failed for good), kept whole so it can be replayed."""

    __tablename__ = "dead_letters"
    __table_args__ = (Index("ix_dead_letters_status_created_at", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(64))
    queue: Mapped[str] = mapped_column(String(32), default="default")
    kwargs_json: Mapped[str] = mapped_column(Text, default="{}")
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"))
    error_code: Mapped[str] = mapped_column(String(32))
    error_message: Mapped[str] = mapped_column(String(1000), default="")
    attempts: Mapped[int] = mapped_column(default=1)
    correlation_id: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="dead")  # dead | replayed | discarded
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(String(500), default="")


class BreakerEvent(Base):
    """Every circuit-breaker transition, automatic or by hand (who and why), for the timeline."""

    __tablename__ = "breaker_events"
    __table_args__ = (Index("ix_breaker_events_breaker_created_at", "breaker", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    breaker: Mapped[str] = mapped_column(String(64))  # e.g. "shopee:12" (platform:shop id)
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500), default="")
    actor: Mapped[str] = mapped_column(String(100), default="system")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RateLimitReduction(Base):
    """The last time a platform's 429s lowered a shop's rate for an endpoint family, and to what.

    The truth the shared limiter state (Redis) is rebuilt from when it loses it: one row per
    shop and family, overwritten by each new reduction; recovery is computed from `at`.
    """

    __tablename__ = "rate_limit_reductions"
    __table_args__ = (UniqueConstraint("scope", "family"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(64))  # the breaker key, e.g. "shopee:12"
    family: Mapped[str] = mapped_column(String(16))
    factor: Mapped[float]
    at: Mapped[datetime]
