"""Seed helpers for the sync tests: a shop, a variant with stock, listings on shops."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storesync.db.engine import make_session_factory, unit_of_work
from storesync.db.models import Listing, Product, Shop, Variant
from storesync.domain.order_status import OrderStatus
from storesync.inventory.service import InventoryService
from storesync.marketplaces.base import ListingRef, RemoteOrder, RemoteOrderLine


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


def make_shop(session: Session, platform: str = "shopee", external_id: str = "1001") -> Shop:
    shop = Shop(platform=platform, external_id=external_id, name=f"{platform} {external_id}")
    session.add(shop)
    session.flush()
    return shop


def make_variant(session: Session, sku: str, on_hand: int) -> Variant:
    product = Product(name=f"Product {sku}")
    session.add(product)
    session.flush()
    variant = Variant(product_id=product.id, sku=sku, name=product.name, price=Decimal("9.90"))
    session.add(variant)
    session.flush()
    InventoryService(session, actor="test").set_initial(variant.id, on_hand)
    return variant


def make_listing(session: Session, shop: Shop, variant: Variant, item: str = "11") -> Listing:
    listing = Listing(
        shop_id=shop.id,
        variant_id=variant.id,
        external_item_id=item,
        external_variant_id=f"{item}-{variant.sku}",
        seller_sku=variant.sku,
        confirmed_qty=None,
    )
    session.add(listing)
    session.flush()
    return listing


def remote_order(
    external_id: str,
    status: OrderStatus,
    minute: int,
    lines: list[tuple[str, int]],
) -> RemoteOrder:
    t = datetime(2026, 11, 29, 12, minute, tzinfo=UTC)
    return RemoteOrder(
        external_id=external_id,
        status=status,
        raw_status=status.value.upper(),
        created_at=datetime(2026, 11, 29, 12, 0, tzinfo=UTC),
        updated_at=t,
        currency="SGD",
        lines=tuple(
            RemoteOrderLine(ListingRef("11", f"11-{sku}"), sku, qty, Decimal("9.90"))
            for sku, qty in lines
        ),
    )


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
