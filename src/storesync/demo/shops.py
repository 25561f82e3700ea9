"""Open the demo's shops: the same catalog listed on each, each connected through OAuth.

Products are listed on a shop BEFORE it is connected, so the import that connecting starts finds
them (no second import). The first shop connects alone and seeds the master catalog; the others
then connect together and are matched to it by SKU.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from storesync.demo.clients import SimApi, StoreSyncApi


@dataclass(frozen=True)
class DemoShop:
    index: int
    platform: str
    name: str
    sim: SimApi
    sim_shop_id: str
    shop_id: int  # StoreSync's id


class SetupError(RuntimeError):
    pass


def open_shops(
    api: StoreSyncApi,
    sims: dict[str, SimApi],
    products: list[dict[str, Any]],
    per_platform: int = 2,
    timeout_s: float = 120.0,
) -> list[DemoShop]:
    planned = []
    for n in range(per_platform):
        for platform in ("shopee", "tiktok"):
            label = "Shopee" if platform == "shopee" else "TikTok"
            name = f"{label} {chr(ord('A') + n)}"
            sim = sims[platform]
            sim_shop_id = sim.create_shop(name)
            sim.add_products(sim_shop_id, products)
            planned.append((platform, name, sim, sim_shop_id))
    shops = []
    for index, (platform, name, sim, sim_shop_id) in enumerate(planned):
        shop_id = api.connect(platform, sim_shop_id)
        shops.append(DemoShop(index, platform, name, sim, sim_shop_id, shop_id))
        if index == 0:
            wait_imports(api, 1, timeout_s)
    wait_imports(api, len(shops), timeout_s)
    return shops


def wait_imports(api: StoreSyncApi, count: int, timeout_s: float) -> None:
    """Until `count` import jobs finished; any failure stops the demo with the job's errors."""
    deadline = time.monotonic() + timeout_s
    while True:
        jobs = api.jobs("import")
        failed = [j for j in jobs if j["status"] in ("failed", "partial")]
        if failed:
            raise SetupError(f"catalog import failed: {failed[0]['errors']}")
        if sum(j["status"] == "succeeded" for j in jobs) >= count:
            return
        if time.monotonic() > deadline:
            raise SetupError(f"catalog imports did not finish within {timeout_s:.0f} s")
        time.sleep(0.2)
