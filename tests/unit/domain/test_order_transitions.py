"""Order status changes apply only forward in update_time and move stock exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storesync.domain.order_status import OrderStatus
from storesync.domain.orders import Movement, transition

T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
LATER = T0 + timedelta(minutes=1)


@pytest.mark.parametrize(
    ("status", "movement"),
    [
        (OrderStatus.PENDING, Movement.RESERVE),
        (OrderStatus.READY_TO_SHIP, Movement.RESERVE),
        (OrderStatus.SHIPPED, Movement.RESERVE_AND_SHIP),
        (OrderStatus.COMPLETED, Movement.RESERVE_AND_SHIP),
        (OrderStatus.CANCELLED, Movement.NONE),
    ],
)
def test_a_new_order_reserves_when_the_platform_holds_stock(
    status: OrderStatus, movement: Movement
) -> None:
    decision = transition(None, None, status, T0)
    assert decision.apply
    assert decision.movement is movement


@pytest.mark.parametrize(
    ("old", "new", "movement"),
    [
        (OrderStatus.PENDING, OrderStatus.READY_TO_SHIP, Movement.NONE),
        (OrderStatus.READY_TO_SHIP, OrderStatus.SHIPPED, Movement.SHIP),
        (OrderStatus.PENDING, OrderStatus.CANCELLED, Movement.RELEASE),
        (OrderStatus.CANCEL_REQUESTED, OrderStatus.CANCELLED, Movement.RELEASE),
        (OrderStatus.READY_TO_SHIP, OrderStatus.CANCEL_REQUESTED, Movement.NONE),
        (OrderStatus.SHIPPED, OrderStatus.COMPLETED, Movement.NONE),
        (OrderStatus.SHIPPED, OrderStatus.RETURNED, Movement.NONE),
    ],
)
def test_forward_changes_move_stock_by_their_effects(
    old: OrderStatus, new: OrderStatus, movement: Movement
) -> None:
    decision = transition(old, T0, new, LATER)
    assert decision.apply
    assert decision.movement is movement


def test_a_duplicate_or_older_event_changes_nothing() -> None:
    assert not transition(OrderStatus.SHIPPED, LATER, OrderStatus.READY_TO_SHIP, T0).apply
    assert not transition(OrderStatus.PENDING, T0, OrderStatus.PENDING, T0).apply
    assert not transition(OrderStatus.SHIPPED, T0, OrderStatus.READY_TO_SHIP, T0).apply


def test_two_moves_in_the_same_second_apply_forward_along_the_lifecycle() -> None:
    # TikTok's update_time has 1 s resolution: a cancel right after creation shares its time.
    cancel = transition(OrderStatus.READY_TO_SHIP, T0, OrderStatus.CANCELLED, T0)
    assert cancel.apply
    assert cancel.movement is Movement.RELEASE
    assert transition(OrderStatus.READY_TO_SHIP, T0, OrderStatus.SHIPPED, T0).movement is (
        Movement.SHIP
    )


def test_cancelled_is_final() -> None:
    assert not transition(OrderStatus.CANCELLED, T0, OrderStatus.READY_TO_SHIP, LATER).apply
