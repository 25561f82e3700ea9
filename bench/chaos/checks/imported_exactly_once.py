"""Invariant 1, nothing acknowledged is lost: every order the traffic placed is in `orders`
exactly once, with the platform's last status, and nothing else is."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Engine

from bench.chaos.checks.base import MAX_LISTED, Check, rows
from bench.chaos.traffic import PlacedOrder

OrderKey = tuple[str, str, str]  # (platform, shop's external id, order's external id)


def check(engine: Engine, placed: list[PlacedOrder], uncertain: int) -> Check:
    ours = _storesync_orders(engine)
    missing, wrong_status, duplicates = [], [], []
    for order in placed:
        held = ours.get((order.platform, order.shop_external_id, order.order_id), [])
        if not held:
            missing.append(order.order_id)
        elif len(held) > 1:
            duplicates.append(order.order_id)
        elif held[0] != order.status:
            wrong_status.append(
                {"order": order.order_id, "platform": order.status, "storesync": held[0]}
            )
    known = {(o.platform, o.shop_external_id, o.order_id) for o in placed}
    unexpected = [key[2] for key in ours if key not in known]
    # A control-API call that failed may still have created its order: only then is an order we
    # hold but the traffic did not record acceptable.
    ok = not (missing or wrong_status or duplicates or (unexpected and not uncertain))
    return Check(
        "imported_exactly_once",
        ok,
        {
            "platform_orders": len(placed),
            "storesync_orders": sum(len(v) for v in ours.values()),
            "missing": missing[:MAX_LISTED],
            "missing_count": len(missing),
            "duplicates": duplicates[:MAX_LISTED],
            "wrong_status": wrong_status[:MAX_LISTED],
            "wrong_status_count": len(wrong_status),
            "unexpected": unexpected[:MAX_LISTED],
        },
    )


def _storesync_orders(engine: Engine) -> dict[OrderKey, list[str]]:
    """Every order StoreSync holds, by key -> the raw status of each row with that key."""
    ours: dict[OrderKey, list[str]] = defaultdict(list)
    for platform, shop_ext, ext_id, raw_status in rows(
        engine,
        "SELECT o.platform, s.external_id, o.external_id, o.raw_status "
        "FROM orders o JOIN shops s ON s.id = o.shop_id",
    ):
        ours[(platform, shop_ext, ext_id)].append(raw_status)
    return ours
