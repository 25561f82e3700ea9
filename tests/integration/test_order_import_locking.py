"""Concurrent order imports never deadlock: each order is its own transaction, so its inventory
locks (taken in variant-id order) are the only ones a transaction holds (PostgreSQL: SQLite
serialises writers and cannot deadlock this way)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from storesync.db.engine import unit_of_work
from storesync.db.models import InventoryLevel, Order
from storesync.domain.order_status import OrderStatus
from storesync.inventory.service import InventoryService
from storesync.marketplaces.base import RemoteOrder
from storesync.order.intake import import_orders
from storesync.order.service import OrderService, UpsertResult
from storesync.testing.fakes import FakeClient
from tests.seeds import make_listing, make_shop, make_variant, remote_order


def test_two_imports_locking_the_same_skus_in_opposite_order_both_complete(
    engine: Engine, factory: sessionmaker[Session]
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("row-lock deadlocks need concurrent writers (PostgreSQL)")
    with unit_of_work(factory) as session:
        shop = make_shop(session)
        for sku in ("SKU-A", "SKU-B"):
            make_listing(session, shop, make_variant(session, sku, 10))
        shop_id = shop.id
    orders = [
        remote_order("A1", OrderStatus.READY_TO_SHIP, 1, [("SKU-A", 1)]),
        remote_order("B1", OrderStatus.READY_TO_SHIP, 1, [("SKU-B", 1)]),
        remote_order("B2", OrderStatus.READY_TO_SHIP, 1, [("SKU-B", 1)]),
        remote_order("A2", OrderStatus.READY_TO_SHIP, 1, [("SKU-A", 1)]),
    ]
    client = FakeClient(orders=orders)
    # Both imports stop after their first order, inside its upsert, until the other got there:
    # a batch transaction would now hold SKU-A (or SKU-B) and go on to lock the other one.
    both_started = threading.Barrier(2, timeout=10)

    def orders_for(session: Session) -> OrderService:
        service = OrderService(session, InventoryService(session, actor="test"))
        upsert = service.upsert

        def first_waits(shop: Any, remote: RemoteOrder) -> UpsertResult:
            result = upsert(shop, remote)
            if remote.external_id in ("A1", "B2"):
                both_started.wait()
            return result

        service.upsert = first_waits  # type: ignore[method-assign]
        return service

    errors: list[BaseException] = []

    def run(ids: list[str]) -> None:
        try:
            import_orders(factory, client, orders_for, shop_id, ids)
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=(["A1", "B1"],)),
        threading.Thread(target=run, args=(["B2", "A2"],)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    with unit_of_work(factory) as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 4
        assert session.scalar(select(func.sum(InventoryLevel.reserved))) == 4
