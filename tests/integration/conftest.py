"""Seed fixtures for the sync tests: a session factory, a shop with one listed variant (the row
builders themselves live in tests/seeds.py, shared with the unit flow tests)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
import redis
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


def flush_namespace(redis_url: str, prefix: str) -> None:
    """Delete every key under `prefix`: what a Redis restart without persistence does to them."""
    client = redis.Redis.from_url(redis_url)
    for name in client.scan_iter(match=prefix + "*"):
        client.delete(name)
    client.close()


@pytest.fixture
def namespace(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own on the shared Redis, removed afterwards."""
    prefix = f"storesync:test:{uuid.uuid4().hex[:10]}:"
    yield prefix
    flush_namespace(redis_url, prefix)
