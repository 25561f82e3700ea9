"""The demo's catalog: deterministic under a seed, the same on every shop.

The body is the simulators' `POST /_sim/products` shape, so one list seeds every shop.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

_NOUNS = ("Shirt", "Tote", "Mug", "Cap", "Sock", "Scarf", "Lamp", "Bowl", "Notebook", "Candle")
_ADJECTIVES = ("Linen", "Canvas", "Ceramic", "Wool", "Bamboo", "Cotton", "Oak", "Glass", "Denim")
_OPTIONS = ("S", "M", "L", "XL", "XXL")


@dataclass(frozen=True)
class SeedVariant:
    sku: str
    price: str
    stock: int


@dataclass(frozen=True)
class SeedProduct:
    name: str
    variants: tuple[SeedVariant, ...]


def seed_catalog(
    products: int, seed: int = 0, min_stock: int = 20, max_stock: int = 200
) -> list[SeedProduct]:
    """`products` products of 1-5 variants each (~3 on average), stock uniform in the range."""
    if products < 1:
        raise ValueError("products must be at least 1")
    if not 0 <= min_stock <= max_stock:
        raise ValueError("need 0 <= min_stock <= max_stock")
    rng = random.Random(seed)  # its own stream: the same seed always gives the same catalog
    catalog = []
    for index in range(1, products + 1):
        name = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} {index:03d}"
        price = f"{rng.randrange(300, 9_900) / 100:.2f}"
        count = rng.randint(1, 5)
        variants = tuple(
            SeedVariant(
                sku=f"P{index:04d}" if count == 1 else f"P{index:04d}-{_OPTIONS[n]}",
                price=price,
                stock=rng.randint(min_stock, max_stock),
            )
            for n in range(count)
        )
        catalog.append(SeedProduct(name, variants))
    return catalog


def as_sim_products(catalog: list[SeedProduct]) -> list[dict[str, Any]]:
    """The body of `POST /_sim/products` (without the shop id)."""
    return [
        {
            "name": product.name,
            "variants": [
                {"sku": v.sku, "price": float(v.price), "stock": v.stock} for v in product.variants
            ],
        }
        for product in catalog
    ]


def stock_by_sku(catalog: list[SeedProduct]) -> dict[str, int]:
    return {v.sku: v.stock for product in catalog for v in product.variants}
