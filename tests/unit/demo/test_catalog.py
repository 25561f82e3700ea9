"""The demo catalog is the same for the same seed, and shaped like the README says."""

from __future__ import annotations

import pytest

from storesync.demo.catalog import as_sim_products, seed_catalog, stock_by_sku


def test_the_same_seed_gives_the_same_catalog() -> None:
    assert seed_catalog(100, seed=7) == seed_catalog(100, seed=7)


def test_another_seed_gives_another_catalog() -> None:
    assert seed_catalog(100, seed=7) != seed_catalog(100, seed=8)


def test_a_hundred_products_have_about_three_hundred_variants_of_one_to_five_each() -> None:
    catalog = seed_catalog(100)
    assert all(1 <= len(p.variants) <= 5 for p in catalog)
    assert 250 <= sum(len(p.variants) for p in catalog) <= 350


def test_skus_are_unique_and_stock_stays_in_range() -> None:
    stock = stock_by_sku(seed_catalog(200, min_stock=20, max_stock=200))
    assert len(stock) == sum(len(p.variants) for p in seed_catalog(200))
    assert all(20 <= units <= 200 for units in stock.values())


def test_the_simulator_body_carries_every_variant() -> None:
    catalog = seed_catalog(3, seed=1)
    body = as_sim_products(catalog)
    assert [p["name"] for p in body] == [p.name for p in catalog]
    first = body[0]["variants"][0]
    assert set(first) == {"sku", "price", "stock"}
    assert isinstance(first["price"], float)


@pytest.mark.parametrize(("products", "low", "high"), [(0, 20, 200), (5, 10, 5), (5, -1, 5)])
def test_impossible_catalogs_are_refused(products: int, low: int, high: int) -> None:
    with pytest.raises(ValueError, match=r"must|need"):
        seed_catalog(products, min_stock=low, max_stock=high)
