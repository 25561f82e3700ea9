"""Platform-looking ids: numeric strings, increasing, deterministic under the simulator's seed.

Real TikTok ids are 18-19 digit snowflake-like numbers (orders 18, products/SKUs/shops 19). Ids
that only grow keep "sort by id" meaningful, and a seeded stream makes demo and test data the same
on every run. Each kind has its own range so a product id can never collide with a SKU id.
"""

from __future__ import annotations

import random

_BASES: dict[str, int] = {
    "shop": 7_494_000_000_000_000_000,
    "open_id": 7_010_000_000_000_000_000,
    "warehouse": 7_068_000_000_000_000_000,
    "product": 1_729_000_000_000_000_000,
    "sku": 1_730_000_000_000_000_000,
    "order": 576_400_000_000_000_000,
    "line_item": 577_000_000_000_000_000,
    "notification": 7_380_000_000_000_000_000,
}
# Gap between consecutive ids: random so ids look unrelated, bounded so 19 digits never overflow.
_MAX_STEP = 1_000_000_000


class IdFactory:
    def __init__(self, seed: int) -> None:
        self._seed = seed
        self.reset()

    def reset(self) -> None:
        self._rng = random.Random(f"marketsim.tiktok.ids:{self._seed}")
        self._last = dict(_BASES)

    def next(self, kind: str) -> str:
        self._last[kind] += self._rng.randint(1, _MAX_STEP)
        return str(self._last[kind])

    def token(self, prefix: str, length: int) -> str:
        """Seeded opaque strings (shop ciphers, shop codes), alphanumeric like the real ones."""
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        return prefix + "".join(self._rng.choice(alphabet) for _ in range(length))
