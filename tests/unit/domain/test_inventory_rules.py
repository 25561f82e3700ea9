"""Inventory rules: available, reservations with oversell, shipping, adjustments."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storesync.domain import inventory as rules
from storesync.domain.inventory import Reservation, StockLevel


def test_available_subtracts_reserved_and_safety_and_never_goes_negative() -> None:
    assert StockLevel(on_hand=10, reserved=3, safety=2).available == 5
    assert StockLevel(on_hand=2, reserved=3, safety=2).available == 0


def test_reserve_covers_what_is_unpromised_and_records_the_rest_as_oversold() -> None:
    level, held = rules.reserve(StockLevel(on_hand=3, reserved=1), 5)
    assert held == Reservation(reserved=2, oversold=3)
    assert level.reserved == 3
    assert level.available == 0


def test_safety_buffer_is_not_offered_but_covers_an_accepted_order() -> None:
    level = StockLevel(on_hand=5, reserved=0, safety=5)
    assert level.available == 0
    _, held = rules.reserve(level, 2)
    assert held == Reservation(2, 0)


def test_ship_deducts_reserved_units_from_on_hand() -> None:
    level, held = rules.reserve(StockLevel(on_hand=10), 4)
    shipped = rules.ship(level, held)
    assert (shipped.on_hand, shipped.reserved) == (6, 0)


def test_release_returns_units_to_available() -> None:
    level, held = rules.reserve(StockLevel(on_hand=10), 4)
    assert rules.release(level, held).available == 10


@pytest.mark.parametrize("delta", [0, -11])
def test_adjustment_rejects_zero_and_negative_on_hand(delta: int) -> None:
    with pytest.raises(rules.DomainRuleViolation):
        rules.adjust(StockLevel(on_hand=10), delta)


@given(
    on_hand=st.integers(0, 1000),
    quantities=st.lists(st.integers(1, 50), max_size=30),
)
def test_reservations_never_exceed_on_hand_and_every_unit_is_accounted(
    on_hand: int, quantities: list[int]
) -> None:
    level = StockLevel(on_hand=on_hand)
    total_reserved = total_oversold = 0
    for quantity in quantities:
        level, held = rules.reserve(level, quantity)
        assert held.reserved + held.oversold == quantity
        total_reserved += held.reserved
        total_oversold += held.oversold
    assert level.reserved == total_reserved <= on_hand
    assert total_reserved + total_oversold == sum(quantities)
