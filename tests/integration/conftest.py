"""Seed fixtures for the sync tests: a session factory, a shop with one listed variant (the row
builders themselves live in tests/seeds.py, shared with the unit flow tests)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storesync.db.engine import make_session_factory, unit_of_work

# Re-exported: tests written before tests/seeds.py import the row builders from here.
from tests.seeds import make_listing, make_shop, make_variant, remote_order

__all__ = ["Seed", "make_listing", "make_shop", "make_variant", "remote_order"]


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


Seed = Callable[..., tuple[int, int]]


@pytest.fixture
def seed(factory: sessionmaker[Session]) -> Seed:
    """Create a shop and one variant with `on_hand` units; return (shop_id, variant_id)."""

    def _seed(sku: str = "SKU-1", on_hand: int = 10, listed: bool = True) -> tuple[int, int]:
        with unit_of_work(factory) as session:
            shop = make_shop(session)
            variant = make_variant(session, sku, on_hand)
            if listed:
                make_listing(session, shop, variant)
            return shop.id, variant.id

    return _seed
