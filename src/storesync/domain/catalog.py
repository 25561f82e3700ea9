"""Matching platform listings to master variants by seller SKU.

Never silently drops anything: a listing either matches exactly one master variant, or goes to
the review list as unmatched (no such SKU), duplicate (the SKU appears twice in one shop) or
missing_sku (the platform listing has no seller SKU at all).
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


class ReviewReason(enum.StrEnum):
    UNMATCHED = "unmatched"
    DUPLICATE = "duplicate"
    MISSING_SKU = "missing_sku"


def normalize_sku(sku: str | None) -> str:
    """Seller SKUs are typed by people: compare them trimmed and case-insensitively."""
    return (sku or "").strip().upper()


@dataclass(frozen=True)
class MatchResult(Generic[T]):
    matched: list[tuple[T, str]]  # (listing, master sku)
    review: list[tuple[T, ReviewReason]]


def match_by_sku(
    listings: Sequence[T], sku_of: Mapping[int, str | None], master_skus: Iterable[str]
) -> MatchResult[T]:
    """`sku_of` maps each listing's index to its seller SKU."""
    masters = {normalize_sku(s): s for s in master_skus}
    counts = Counter(normalize_sku(sku_of[i]) for i in range(len(listings)))
    matched: list[tuple[T, str]] = []
    review: list[tuple[T, ReviewReason]] = []
    for i, listing in enumerate(listings):
        key = normalize_sku(sku_of[i])
        if not key:
            review.append((listing, ReviewReason.MISSING_SKU))
        elif counts[key] > 1:
            review.append((listing, ReviewReason.DUPLICATE))
        elif key in masters:
            matched.append((listing, masters[key]))
        else:
            review.append((listing, ReviewReason.UNMATCHED))
    return MatchResult(matched, review)
