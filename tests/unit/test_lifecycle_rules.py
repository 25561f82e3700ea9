"""The token-lifecycle and webhook-health rules, as pure functions of time and counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storesync.shop.lifecycle import authorization_warning
from storesync.shop.tokens import refresh_due
from storesync.webhook.health import changed_by_poll, should_poll_fast

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
MARGIN = timedelta(minutes=30)
WEEK = timedelta(days=7)
QUIET = timedelta(minutes=2)


def test_a_token_is_refreshed_within_the_margin_before_it_expires() -> None:
    assert refresh_due(NOW + timedelta(minutes=29), NOW, MARGIN)
    assert refresh_due(NOW + MARGIN, NOW, MARGIN)
    assert refresh_due(NOW - timedelta(hours=1), NOW, MARGIN)  # already expired: now
    assert not refresh_due(NOW + timedelta(hours=4), NOW, MARGIN)
    assert not refresh_due(None, NOW, MARGIN)


def test_the_warning_names_the_grant_first_then_the_refresh_token() -> None:
    grant_ends = NOW + timedelta(days=6)
    text = authorization_warning(grant_ends, NOW + timedelta(days=2), NOW, WEEK)
    assert text == (
        "The shop's authorization ends on 2025-03-07;"
        " reconnect the shop before then to keep it in sync."
    )
    text = authorization_warning(None, NOW + timedelta(days=2), NOW, WEEK)
    assert "refresh token ends on 2025-03-03" in str(text)
    ended = authorization_warning(NOW - timedelta(days=1), None, NOW, WEEK)
    assert "ended on 2025-02-28; reconnect the shop to resume sync" in str(ended)


def test_no_warning_while_the_grant_and_refresh_token_outlive_the_window() -> None:
    assert authorization_warning(NOW + timedelta(days=300), NOW + WEEK * 4, NOW, WEEK) is None
    assert authorization_warning(None, None, NOW, WEEK) is None


def test_polling_goes_fast_when_it_finds_changes_while_webhooks_are_quiet() -> None:
    assert should_poll_fast(1, None, NOW, QUIET)  # never had one
    assert should_poll_fast(3, NOW - timedelta(minutes=10), NOW, QUIET)


def test_polling_stays_normal_without_changes_or_while_webhooks_flow() -> None:
    assert not should_poll_fast(0, None, NOW, QUIET)
    # A webhook 5 s ago: the poll merely beat its job in the queue.
    assert not should_poll_fast(2, NOW - timedelta(seconds=5), NOW, QUIET)


def test_created_and_updated_orders_count_as_changes_unchanged_ones_do_not() -> None:
    assert changed_by_poll({"listed": 9, "created": 2, "updated": 1, "unchanged": 6}) == 3
    assert changed_by_poll({"listed": 4, "unchanged": 4}) == 0
