"""Invariant 3, convergence: once the faults stopped, every listing on every platform shows the
master's available and nothing is left dirty."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from bench.chaos.checks.base import MAX_LISTED, Check, rows
from bench.chaos.stack import ChaosStack


def drift(engine: Engine, stack: ChaosStack) -> list[dict[str, Any]]:
    """Listings whose platform does not show the master's available (or still dirty)."""
    master = {
        sku: max(0, on_hand - reserved - safety)
        for sku, on_hand, reserved, safety in rows(
            engine,
            "SELECT v.sku, l.on_hand, l.reserved, l.safety FROM variants v "
            "JOIN inventory_levels l ON l.variant_id = v.id",
        )
    }
    listings = rows(
        engine,
        "SELECT li.shop_id, li.seller_sku, li.desired_qty, li.dirty FROM listings li",
    )
    stock = {shop.id: stack.sim_stock(shop) for shop in stack.shops}
    out = []
    for shop_id, sku, desired, dirty in listings:
        shows = stock.get(shop_id, {}).get(sku, {}).get("available")
        if dirty or shows != desired or desired != master.get(sku):
            out.append(
                {
                    "shop_id": shop_id,
                    "sku": sku,
                    "master": master.get(sku),
                    "desired": desired,
                    "platform": shows,
                    "dirty": dirty,
                }
            )
    return out


def check(engine: Engine, stack: ChaosStack, seconds: float | None, budget_s: float) -> Check:
    remaining = drift(engine, stack)
    return Check(
        "convergence",
        not remaining and seconds is not None,
        {
            "time_to_converge_s": None if seconds is None else round(seconds, 1),
            "budget_s": budget_s,
            "drifted": remaining[:MAX_LISTED],
            "drifted_count": len(remaining),
        },
    )
