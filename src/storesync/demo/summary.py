"""The demo's final figures: drift, API-call efficiency, and the summary object `--json` prints."""

from __future__ import annotations

from typing import Any

from storesync.demo.calls import CallCounts
from storesync.demo.observe import Recorded, StoreSyncDb
from storesync.demo.shops import DemoShop
from storesync.demo.traffic import TrafficCounts


def measure_drift(db: StoreSyncDb, shops: list[DemoShop]) -> int:
    """Listings where what buyers can order on the platform differs from the master's available."""
    master = db.master_available()
    drift = 0
    for shop in shops:
        shown = shop.sim.stock(shop.sim_shop_id)
        drift += sum(1 for sku, available in master.items() if shown.get(sku) != available)
    return drift


def stock_call_efficiency(calls: int, counts: TrafficCounts, shops: int) -> dict[str, Any]:
    """Stock-update calls made against the minimum the changes needed.

    The minimum: for every change (an order that holds stock, a cancellation that frees it), one
    update call per OTHER shop per platform item the change touched — both APIs take one item
    (Shopee: up to 50 models; TikTok: one product) per call, and the shop where the order
    happened already shows the change. Coalescing several changes to one item into one call can
    take the ratio below 1. `vs_all_listings` also counts a write to the order's own shop as
    needed (what a sync that re-writes every listing whose desired value moved would make).
    """
    minimum = counts.changed_items * (shops - 1)
    with_origin = counts.changed_items * shops
    return {
        "stock_changes": counts.stock_changes,
        "min_stock_update_calls": minimum,
        "stock_call_ratio": round(calls / minimum, 3) if minimum else None,
        "stock_call_ratio_vs_all_listings": round(calls / with_origin, 3) if with_origin else None,
    }


def build_summary(
    counts: TrafficCounts,
    recorded: Recorded,
    calls: CallCounts,
    setup_calls: CallCounts,
    propagation: dict[str, Any],
    drift: int,
    shops: int,
    ran_s: float,
) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "orders_created": counts.created,
        "orders_refused": counts.refused,
        "orders_imported": recorded.orders,
        "status_moves": counts.moves,
        "orders_cancelled": counts.cancelled,
        "orders_shipped": counts.shipped,
        "duplicates": recorded.duplicates,
        "oversold_units": recorded.oversold_units,
        "drift": drift,
        "dirty_listings": recorded.dirty,
        "api_calls": calls.total,
        "stock_update_calls": calls.stock_updates,
        "api_calls_setup": setup_calls.total,
        **stock_call_efficiency(calls.stock_updates, counts, shops),
        "push_jobs": recorded.push_jobs,
        "errors_by_code": recorded.errors_by_code,
        "propagation_ms": propagation,
        "duration_s": round(ran_s, 1),
        "orders_per_s": round(counts.created / ran_s, 2) if ran_s else 0.0,
        "shops": shops,
    }
    summary["ok"] = recorded.duplicates == 0 and drift == 0 and recorded.orders == counts.created
    return summary
