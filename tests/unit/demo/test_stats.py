"""The demo's latency figures: percentiles by linear interpolation, summarised in whole ms."""

from __future__ import annotations

import pytest

from storesync.demo.stats import latency_summary, percentile


def test_percentiles_interpolate_between_closest_ranks() -> None:
    values = [float(v) for v in range(1, 11)]  # 1..10
    assert percentile(values, 50) == pytest.approx(5.5)
    assert percentile(values, 95) == pytest.approx(9.55)
    assert percentile(values, 0) == 1
    assert percentile(values, 100) == 10


def test_order_of_samples_does_not_matter() -> None:
    assert percentile([300.0, 100.0, 200.0], 50) == 200


def test_one_sample_is_every_percentile() -> None:
    assert percentile([42.0], 5) == percentile([42.0], 99) == 42


def test_no_samples_have_no_percentile() -> None:
    assert percentile([], 50) is None


@pytest.mark.parametrize("p", [-1, 101])
def test_a_percentile_outside_0_to_100_is_refused(p: float) -> None:
    with pytest.raises(ValueError, match=r"0\.\.100"):
        percentile([1.0], p)


def test_the_summary_rounds_to_whole_milliseconds_and_states_its_resolution() -> None:
    summary = latency_summary([250.4, 260.6, 900.2], resolution_ms=50.3)
    assert summary == {
        "p50": 261,
        "p95": 836,
        "p99": 887,
        "max": 900,
        "samples": 3,
        "resolution_ms": 50,
    }


def test_an_empty_summary_says_so_instead_of_inventing_zeros() -> None:
    summary = latency_summary([], resolution_ms=50)
    assert (summary["p50"], summary["max"], summary["samples"]) == (None, None, 0)
