"""API-call efficiency: calls made against one call per other shop per item per change."""

from __future__ import annotations

from storesync.demo.summary import stock_call_efficiency
from storesync.demo.traffic import TrafficCounts


def test_one_call_per_other_shop_per_changed_item_is_a_ratio_of_one() -> None:
    counts = TrafficCounts(stock_changes=10, changed_items=12)
    result = stock_call_efficiency(calls=36, counts=counts, shops=4)
    assert result == {
        "stock_changes": 10,
        "min_stock_update_calls": 36,
        "stock_call_ratio": 1.0,
        "stock_call_ratio_vs_all_listings": 0.75,
    }


def test_no_changes_have_no_ratio() -> None:
    result = stock_call_efficiency(calls=0, counts=TrafficCounts(), shops=4)
    assert result["stock_call_ratio"] is None
