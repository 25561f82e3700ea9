"""How far a platform's clock is from ours, learnt from the platform's own timestamps.

Deciding whether our stock write came before or after an order compares our clock (when we
wrote) with the platform's (when it took the order). Every webhook bounds the offset from below:
an event stamped at platform time U reached us at our time R after it happened, so
U - R <= offset (platform minus ours). Only webhooks are sampled, at the moment they arrive: an
order fetched later (a poll, a batch) carries the whole delay since its update in its bound. The
largest bound seen recently is the estimate; it trails the true offset by the fastest delivery we
saw (milliseconds for a webhook), and it is forgotten after `HOLD` so a corrected platform clock is
followed.

Offsets within the comparisons' own slack (1 s) are treated as none: correcting by an estimate
that small would move every decision by the delivery latency instead of by a real offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

HOLD = timedelta(minutes=10)
NEGLIGIBLE = timedelta(seconds=1)


@dataclass(frozen=True)
class ClockOffset:
    offset: timedelta  # platform clock minus ours
    sampled_at: datetime  # our time of the sample that set it


def next_offset(
    current: ClockOffset | None, platform_time: datetime, received_at: datetime
) -> ClockOffset:
    """The estimate after seeing a platform timestamp that reached us at `received_at`."""
    sample = ClockOffset(platform_time - received_at, received_at)
    if current is None or sample.offset >= current.offset:
        return sample
    if received_at - current.sampled_at > HOLD:
        return sample  # the old bound is stale; the platform's clock may have been corrected
    return current


def to_our_clock(platform_time: datetime, estimate: ClockOffset | None) -> datetime:
    """A platform timestamp on our clock (unchanged while the offset is negligible)."""
    if estimate is None or abs(estimate.offset) < NEGLIGIBLE:
        return platform_time
    return platform_time - estimate.offset


def to_platform_clock(our_time: datetime, estimate: ClockOffset | None) -> datetime:
    """One of our times on the platform's clock (e.g. a polling window's bounds)."""
    if estimate is None or abs(estimate.offset) < NEGLIGIBLE:
        return our_time
    return our_time + estimate.offset
