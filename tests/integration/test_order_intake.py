"""Orders import exactly once, stock moves exactly once, and the ledger proves it."""

from __future__ import annotations

import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storesync.db.engine import unit_of_work
from storesync.db.models import InventoryLevel, Listing, Order, OrderLine, Shop
from storesync.domain.order_status import OrderStatus
from storesync.inventory.service import InventoryService
from storesync.order.service import OrderService
from tests.integration.conftest import Seed
from tests.seeds import remote_order


def _upsert(factory: sessionmaker[Session], shop_id: int, *orders: object) -> None:
    for remote in orders:
        with unit_of_work(factory) as session:
            shop = session.get(Shop, shop_id)
            assert shop is not None
            OrderService(session, InventoryService(session, actor="test")).upsert(shop, remote)  # type: ignore[arg-type]


def _level(factory: sessionmaker[Session], variant_id: int) -> InventoryLevel:
    with unit_of_work(factory) as session:
        level = session.scalar(
            select(InventoryLevel).where(InventoryLevel.variant_id == variant_id)
        )
        assert level is not None
        return level


def assert_invariants(factory: sessionmaker[Session], variant_id: int) -> None:
    """The ledger sums to on hand; reserved equals what open order lines hold."""
    with unit_of_work(factory) as session:
        inventory = InventoryService(session)
        level = inventory.level(variant_id)
        assert inventory.ledger_sum(variant_id) == level.on_hand
        held = session.scalar(
            select(func.coalesce(func.sum(OrderLine.reserved_qty), 0)).where(
                OrderLine.variant_id == variant_id, OrderLine.holds_stock.is_(True)
            )
        )
        assert level.reserved == held


def test_duplicate_webhook_reserves_stock_once(factory: sessionmaker[Session], seed: Seed) -> None:
    shop_id, variant_id = seed(on_hand=10)
    order = remote_order("A1", OrderStatus.PENDING, 1, [("SKU-1", 3)])
    _upsert(factory, shop_id, order, order, order)
    level = _level(factory, variant_id)
    assert (level.on_hand, level.reserved) == (10, 3)
    with unit_of_work(factory) as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 1
    assert_invariants(factory, variant_id)


def test_reordered_events_end_in_the_latest_state_with_one_deduction(
    factory: sessionmaker[Session], seed: Seed
) -> None:
    shop_id, variant_id = seed(on_hand=10)
    shipped = remote_order("A2", OrderStatus.SHIPPED, 5, [("SKU-1", 2)])
    pending = remote_order("A2", OrderStatus.PENDING, 1, [("SKU-1", 2)])
    ready = remote_order("A2", OrderStatus.READY_TO_SHIP, 3, [("SKU-1", 2)])
    _upsert(factory, shop_id, shipped, pending, ready, shipped)
    level = _level(factory, variant_id)
    assert (level.on_hand, level.reserved) == (8, 0)
    with unit_of_work(factory) as session:
        order = session.scalar(select(Order))
        assert order is not None
        assert order.status == "shipped"
    assert_invariants(factory, variant_id)


def test_cancel_releases_and_ship_deducts(factory: sessionmaker[Session], seed: Seed) -> None:
    shop_id, variant_id = seed(on_hand=10)
    _upsert(
        factory,
        shop_id,
        remote_order("C1", OrderStatus.PENDING, 1, [("SKU-1", 4)]),
        remote_order("C2", OrderStatus.PENDING, 1, [("SKU-1", 1)]),
        remote_order("C1", OrderStatus.CANCELLED, 2, [("SKU-1", 4)]),
        remote_order("C2", OrderStatus.SHIPPED, 3, [("SKU-1", 1)]),
    )
    level = _level(factory, variant_id)
    assert (level.on_hand, level.reserved) == (9, 0)
    assert_invariants(factory, variant_id)


def test_a_new_order_makes_the_variants_listings_dirty_with_the_new_available(
    factory: sessionmaker[Session], seed: Seed
) -> None:
    shop_id, variant_id = seed(on_hand=10)
    _upsert(factory, shop_id, remote_order("D1", OrderStatus.PENDING, 1, [("SKU-1", 4)]))
    with unit_of_work(factory) as session:
        listing = session.scalar(select(Listing).where(Listing.variant_id == variant_id))
        assert listing is not None
        assert (listing.desired_qty, listing.dirty) == (6, True)


def test_concurrent_imports_reserve_exactly_the_stock_and_flag_the_rest_as_oversold(
    factory: sessionmaker[Session], seed: Seed
) -> None:
    shop_id, variant_id = seed(on_hand=10)
    errors: list[BaseException] = []
    barrier = threading.Barrier(50)

    def import_one(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            _upsert(factory, shop_id, remote_order(f"R{n}", OrderStatus.PENDING, 1, [("SKU-1", 1)]))
        except BaseException as exc:  # collected, so the test reports it instead of hanging
            errors.append(exc)

    threads = [threading.Thread(target=import_one, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    level = _level(factory, variant_id)
    assert (level.on_hand, level.reserved, level.oversold) == (10, 10, 40)
    with unit_of_work(factory) as session:
        lines = session.scalars(select(OrderLine)).all()
        assert len(lines) == 50
        assert sum(line.reserved_qty for line in lines) == 10
        assert sum(line.oversold_qty for line in lines) == 40
    assert_invariants(factory, variant_id)
