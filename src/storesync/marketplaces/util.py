"""Small neutral helpers the platform packages share: time, batching, JSON and header reading."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

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


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive lookup: frameworks hand headers over in any case (HTTP ignores it)."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


INT64_MAX = 2**63 - 1


def as_int(value: Any) -> int | None:
    """An int from JSON that may carry numbers as strings; anything else (bools too) is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        # isascii(): isdigit() alone accepts "²" and other digits int() then refuses.
        value = int(value)
    if isinstance(value, int) and -INT64_MAX <= value <= INT64_MAX:
        return value  # anything wider would overflow a BIGINT column, not just look odd
    return None


def content_hash(content: Any) -> str:
    """A stable id for JSON content: the same data in any key order or spacing hashes alike."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def vendor_details(
    platform: str, code: object, message: str | None, request_id: str | None, **more: Any
) -> dict[str, Any]:
    """The `details` of a translated vendor error: the vendor's own code and words kept for
    people and support tickets, next to the taxonomy class that code now speaks."""
    out: dict[str, Any] = {
        "platform": platform,
        "vendor_code": code,
        "vendor_message": message,
        "request_id": request_id,
    }
    out.update({k: v for k, v in more.items() if v is not None})
    return out
