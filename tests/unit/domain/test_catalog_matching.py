"""Listings match master variants by SKU; nothing is silently dropped."""

from __future__ import annotations

from storesync.domain.catalog import ReviewReason, match_by_sku


def test_matching_is_by_trimmed_case_insensitive_sku_and_parks_the_rest() -> None:
    listings = ["a", "b", "c", "d", "e"]
    skus = {0: " sku-1", 1: "SKU-2", 2: "sku-2", 3: None, 4: "nope"}
    result = match_by_sku(listings, skus, ["SKU-1", "SKU-2", "SKU-3"])
    assert result.matched == [("a", "SKU-1")]
    assert dict(result.review) == {
        "b": ReviewReason.DUPLICATE,
        "c": ReviewReason.DUPLICATE,
        "d": ReviewReason.MISSING_SKU,
        "e": ReviewReason.UNMATCHED,
    }
    assert len(result.matched) + len(result.review) == len(listings)
