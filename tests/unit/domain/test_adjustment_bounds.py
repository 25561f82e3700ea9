"""What a hand-made adjustment may do: name a manual reason, stay within the units a SKU holds."""

from __future__ import annotations

import pytest

from storesync.domain.inventory import (
    MANUAL_REASONS,
    MAX_UNITS,
    DomainRuleViolation,
    LedgerReason,
    StockLevel,
    adjust,
)


def test_shipments_and_first_counts_are_never_manual() -> None:
    assert LedgerReason.ORDER_SHIPPED not in MANUAL_REASONS
    assert LedgerReason.INITIAL not in MANUAL_REASONS
    assert LedgerReason.ADJUSTMENT in MANUAL_REASONS


def test_on_hand_never_exceeds_the_most_units_a_sku_may_hold() -> None:
    assert adjust(StockLevel(on_hand=0), MAX_UNITS).on_hand == MAX_UNITS
    with pytest.raises(DomainRuleViolation):
        adjust(StockLevel(on_hand=MAX_UNITS), 1)
