"""One table: which endpoint family each protocol method spends, how many platform calls it
makes, and whether it may be retried inside the call.

Families follow the platforms' own grouping of rate limits (Shopee and TikTok both limit per API
family and shop/app). Methods that never leave the process (consent URL, webhook checks) are
absent: they pass straight through.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


class Family(enum.StrEnum):
    AUTH = "auth"
    CATALOG = "catalog"
    STOCK = "stock"
    ORDERS = "orders"
    PUSH = "push"


PAGE = 50  # both platforms cap id lists at 50 per read call (item ids, order numbers)


def _one(*_: Any) -> int:
    return 1


def _items(updates: Sequence[Any], *_: Any) -> int:
    # Writes go out one product per call (write_per_item): count distinct products.
    return max(1, len({u.ref.external_item_id for u in updates}))


def _pages_of_refs(refs: Sequence[Any], *_: Any) -> int:
    return max(1, math.ceil(len({r.external_item_id for r in refs}) / PAGE))


def _pages_of_ids(ids: Sequence[Any], *_: Any) -> int:
    return max(1, math.ceil(len(set(ids)) / PAGE))


@dataclass(frozen=True)
class MethodSpec:
    family: Family
    # Single-use inputs (authorization codes, refresh tokens) must not be replayed blindly: if the
    # first request reached the platform, a retry fails anyway and hides the real outcome.
    retry_in_call: bool = True
    # Estimated platform calls, charged to the rate budget (capped at the burst, see ratelimit).
    calls: Callable[..., int] = _one


METHODS: dict[str, MethodSpec] = {
    "exchange_code": MethodSpec(Family.AUTH, retry_in_call=False),
    "refresh_tokens": MethodSpec(Family.AUTH, retry_in_call=False),
    "list_products": MethodSpec(Family.CATALOG),
    "update_prices": MethodSpec(Family.CATALOG, calls=_items),
    "read_stock": MethodSpec(Family.STOCK, calls=_pages_of_refs),
    "update_stock": MethodSpec(Family.STOCK, calls=_items),
    "list_orders": MethodSpec(Family.ORDERS),
    "get_orders": MethodSpec(Family.ORDERS, calls=_pages_of_ids),
    "fetch_lost_events": MethodSpec(Family.PUSH),
    "confirm_lost_events": MethodSpec(Family.PUSH),
}

# Local methods, listed so a new protocol method cannot be forgotten silently (a unit test checks
# that every protocol method is in exactly one of the two tables).
LOCAL_METHODS = frozenset({"authorization_url", "verify_webhook", "parse_webhook", "close"})
