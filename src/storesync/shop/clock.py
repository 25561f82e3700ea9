"""Each platform timestamp a shop sends us refines how far its clock is from ours."""

from __future__ import annotations

from datetime import datetime, timedelta

from storesync.db.base import utcnow
from storesync.db.models import Shop
from storesync.domain.clock import ClockOffset, next_offset, to_our_clock, to_platform_clock


def clock_offset(shop: Shop) -> ClockOffset | None:
    if shop.clock_offset_ms is None or shop.clock_offset_at is None:
        return None
    return ClockOffset(timedelta(milliseconds=shop.clock_offset_ms), shop.clock_offset_at)


def note_platform_time(
    shop: Shop, platform_time: datetime, received_at: datetime | None = None
) -> None:
    """`platform_time` (an event's stamp) reached us at `received_at` (default: now)."""
    current = clock_offset(shop)
    estimate = next_offset(current, platform_time, received_at or utcnow())
    if estimate is current:
        return  # most samples change nothing: no write to the shop row
    shop.clock_offset_ms = round(estimate.offset.total_seconds() * 1000)
    shop.clock_offset_at = estimate.sampled_at


def on_our_clock(shop: Shop, platform_time: datetime) -> datetime:
    return to_our_clock(platform_time, clock_offset(shop))


def on_platform_clock(shop: Shop, our_time: datetime) -> datetime:
    return to_platform_clock(our_time, clock_offset(shop))
