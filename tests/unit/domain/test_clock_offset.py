"""Estimating a platform's clock offset from the timestamps of its webhooks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storesync.domain.clock import HOLD, ClockOffset, next_offset, to_our_clock

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
S = timedelta(seconds=1)


def test_the_first_webhook_sets_the_estimate_to_its_bound() -> None:
    estimate = next_offset(None, NOW + 300 * S, NOW + 0.2 * S)  # delivered 0.2 s after
    assert estimate == ClockOffset(299.8 * S, NOW + 0.2 * S)


def test_the_largest_recent_bound_wins_so_slow_deliveries_do_not_drag_it_down() -> None:
    fast = next_offset(None, NOW + 300 * S, NOW + 0.05 * S)
    slow = next_offset(fast, NOW + 310 * S, NOW + 14 * S)  # a retried push, 4 s late
    assert slow is fast
    faster = next_offset(slow, NOW + 320 * S, NOW + 20.01 * S)
    assert faster.offset == 299.99 * S


def test_a_stale_bound_is_replaced_so_a_corrected_platform_clock_is_followed() -> None:
    old = next_offset(None, NOW + 300 * S, NOW)
    corrected = next_offset(old, NOW + HOLD + 2 * S, NOW + HOLD + 2.1 * S)
    assert abs(corrected.offset) < S


def test_platform_times_move_onto_our_clock_unless_the_offset_is_within_the_slack() -> None:
    ahead = ClockOffset(300 * S, NOW)
    behind = ClockOffset(-300 * S, NOW)
    assert to_our_clock(NOW + 300 * S, ahead) == NOW
    assert to_our_clock(NOW - 300 * S, behind) == NOW
    assert to_our_clock(NOW, ClockOffset(-0.3 * S, NOW)) == NOW  # delivery latency, not skew
    assert to_our_clock(NOW, None) == NOW
