"""Small neutral helpers the platform packages share: time conversion, batching, dedupe."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeVar

T = TypeVar("T")


def utc_from_unix(seconds: float | int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def unix_floor(when: datetime) -> int:
    _require_aware(when)
    return math.floor(when.timestamp())


def unix_ceil(when: datetime) -> int:
    _require_aware(when)
    return math.ceil(when.timestamp())


def _require_aware(when: datetime) -> None:
    # A naive datetime would silently be read as local time; every StoreSync time is UTC-aware.
    if when.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")


def chunked(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    if size < 1:
        raise ValueError("size must be >= 1")
    for start in range(0, len(items), size):
        yield items[start : start + size]


def group_by_key(pairs: Iterable[tuple[str, T]]) -> dict[str, list[T]]:
    """Group while keeping first-seen key order (results come back in the caller's order)."""
    groups: dict[str, list[T]] = {}
    for key, value in pairs:
        groups.setdefault(key, []).append(value)
    return groups


def average_price(prices: Sequence[Decimal]) -> Decimal:
    """Mean unit price, at the precision of the most precise input (money has no 1/3 cents)."""
    if not prices:
        raise ValueError("no prices")
    total = sum(prices, Decimal(0))
    exponent = min(int(p.as_tuple().exponent) for p in prices)
    return (total / len(prices)).quantize(Decimal(1).scaleb(exponent))
