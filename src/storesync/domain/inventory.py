"""Inventory and its ledger rules.

`on_hand` is physical units; `reserved` the units open orders hold; `safety` a buffer never offered
to buyers. `available = max(0, on_hand - reserved - safety)` is what every channel may sell.
Every change of `on_hand` is an append-only ledger entry, so the ledger sums to `on_hand`: a
checkable invariant. Reservations are not ledger entries: they live on order lines, and `reserved`
always equals the sum of the open lines' reserved units (the second invariant).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace


class DomainRuleViolation(ValueError):
    """A business rule said no (e.g. on hand would go negative). Services map it to a 422."""


class LedgerReason(enum.StrEnum):
    INITIAL = "initial"  # first count, e.g. taken from the first shop on import
    ADJUSTMENT = "adjustment"  # a person counted or received goods
    ORDER_SHIPPED = "order_shipped"  # units left with an order
    RETURN_RESTOCKED = "return_restocked"  # the seller confirmed a returned item came back


# What a person may write by hand (the API's adjustments): the other reasons are the system's
# own account of imports and shipments, and a hand-written `order_shipped` would make the ledger
# claim a shipment no order explains.
MANUAL_REASONS = frozenset({LedgerReason.ADJUSTMENT, LedgerReason.RETURN_RESTOCKED})
# The most units one SKU may hold, and so the largest single adjustment: the stock columns are
# 32-bit integers on PostgreSQL (2,147,483,647), and nobody keeps a billion of one SKU.
MAX_UNITS = 1_000_000_000


@dataclass(frozen=True)
class StockLevel:
    on_hand: int
    reserved: int = 0
    safety: int = 0

    @property
    def available(self) -> int:
        return max(0, self.on_hand - self.reserved - self.safety)

    @property
    def unpromised(self) -> int:
        """Physical units no open order holds yet (the safety buffer is still sellable by an
        order a platform already accepted: it exists to keep channels from offering it)."""
        return max(0, self.on_hand - self.reserved)


@dataclass(frozen=True)
class Reservation:
    """How an order line's units were covered: reserved from stock, or oversold beyond it."""

    reserved: int
    oversold: int


def adjust(level: StockLevel, delta: int) -> StockLevel:
    """A manual adjustment; on hand may never go below zero nor below what orders hold."""
    if delta == 0:
        raise DomainRuleViolation("an adjustment must change the stock (delta is 0)")
    new_on_hand = level.on_hand + delta
    if new_on_hand < 0:
        raise DomainRuleViolation(
            f"on hand would become {new_on_hand}: only {level.on_hand} units are on hand"
        )
    if new_on_hand > MAX_UNITS:
        raise DomainRuleViolation(f"on hand would become {new_on_hand}: at most {MAX_UNITS}")
    return replace(level, on_hand=new_on_hand)


def reserve(level: StockLevel, quantity: int) -> tuple[StockLevel, Reservation]:
    """Hold units for an order the platform already accepted.

    The order is never refused (the buyer has paid the platform): units beyond what is physically
    unpromised are recorded as oversold, so the seller sees them instead of losing them.
    """
    if quantity <= 0:
        raise DomainRuleViolation("an order line must have a positive quantity")
    covered = min(quantity, level.unpromised)
    return replace(level, reserved=level.reserved + covered), Reservation(
        covered, quantity - covered
    )


def release(level: StockLevel, reservation: Reservation) -> StockLevel:
    """An order was cancelled: its reserved units become available again."""
    return replace(level, reserved=max(0, level.reserved - reservation.reserved))


def ship(level: StockLevel, reservation: Reservation) -> StockLevel:
    """An order shipped: its reserved units leave on hand (the caller writes the ledger entry)."""
    return replace(
        level,
        on_hand=level.on_hand - reservation.reserved,
        reserved=max(0, level.reserved - reservation.reserved),
    )


def with_safety(level: StockLevel, safety: int) -> StockLevel:
    if safety < 0:
        raise DomainRuleViolation("the safety buffer cannot be negative")
    return replace(level, safety=safety)
