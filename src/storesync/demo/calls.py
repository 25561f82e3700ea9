"""Platform API calls as the simulators counted them (`GET /_sim/calls`; control calls excluded
by the simulators themselves)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from storesync.demo.clients import SimApi


@dataclass(frozen=True)
class CallCounts:
    total: int = 0
    stock_updates: int = 0

    def __sub__(self, other: CallCounts) -> CallCounts:
        return CallCounts(self.total - other.total, self.stock_updates - other.stock_updates)


def is_stock_update(path: str) -> bool:
    """The stock-write endpoint of each platform (Shopee's product update_stock, TikTok's
    per-product inventory update), as the simulators name their paths."""
    return path.endswith("/product/update_stock") or path.endswith("/inventory/update")


def count_calls(sims: Iterable[SimApi]) -> CallCounts:
    total = stock = 0
    for sim in sims:
        for path, outcomes in sim.calls().items():
            n = sum(outcomes.values())
            total += n
            if is_stock_update(path):
                stock += n
    return CallCounts(total, stock)
