"""Propagation probes: a sample is taken when the LAST other shop shows the new quantity."""

from __future__ import annotations

import pytest

from storesync.demo.probe import PropagationTracker


def test_a_probe_completes_when_every_other_shop_shows_the_target() -> None:
    tracker = PropagationTracker(shop_count=3)
    tracker.begin("SKU", target=7, origin=0, started=10.0)
    tracker.observe(1, {"SKU": 7}, seen_at=10.2)
    assert tracker.samples() == []
    tracker.observe(2, {"SKU": 8}, seen_at=10.3)  # not yet
    tracker.observe(2, {"SKU": 7}, seen_at=10.5)
    assert tracker.samples() == [pytest.approx(500)]
    assert tracker.busy() == set()


def test_the_origin_shop_is_not_waited_on() -> None:
    tracker = PropagationTracker(shop_count=2)
    tracker.begin("SKU", target=1, origin=1, started=0.0)
    assert tracker.shops_waited_on() == {0}
    tracker.observe(1, {"SKU": 5}, seen_at=0.1)  # the origin's view is irrelevant
    tracker.observe(0, {"SKU": 1}, seen_at=0.4)
    assert tracker.samples() == [pytest.approx(400)]


def test_the_sample_is_the_latest_sighting_even_when_shops_are_read_out_of_order() -> None:
    tracker = PropagationTracker(shop_count=3)
    tracker.begin("SKU", target=0, origin=0, started=1.0)
    tracker.observe(2, {"SKU": 0}, seen_at=1.9)
    tracker.observe(1, {"SKU": 0}, seen_at=1.6)
    assert tracker.samples() == [pytest.approx(900)]


def test_one_sku_has_one_probe_in_flight() -> None:
    tracker = PropagationTracker(shop_count=2)
    tracker.begin("SKU", target=1, origin=0, started=0.0)
    with pytest.raises(ValueError, match="in flight"):
        tracker.begin("SKU", target=0, origin=1, started=0.1)


def test_a_refused_change_frees_its_sku_without_a_sample() -> None:
    tracker = PropagationTracker(shop_count=2)
    tracker.begin("SKU", target=1, origin=0, started=0.0)
    tracker.cancel("SKU")
    assert (tracker.busy(), tracker.samples(), tracker.timeouts) == (set(), [], 0)


def test_probes_that_never_converge_time_out_and_are_counted() -> None:
    tracker = PropagationTracker(shop_count=2, timeout_s=30)
    tracker.begin("OLD", target=1, origin=0, started=0.0)
    tracker.begin("NEW", target=1, origin=0, started=20.0)
    expired = tracker.expire(now=31.0)
    assert [p.sku for p in expired] == ["OLD"]
    assert (tracker.timeouts, tracker.busy()) == (1, {"NEW"})
