"""The order status machine: which stock movement a status change causes, and when to ignore one.

Status changes apply only forward in the platform's `update_time`, so duplicated, late and
reordered events are harmless. What a change does to stock follows from the stock effects of the
old and the new status (see `order_status.StockEffect`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from storesync.domain.order_status import OrderStatus, StockEffect


class Movement(enum.StrEnum):
    RESERVE = "reserve"  # hold units for a new order
    RESERVE_AND_SHIP = "reserve_and_ship"  # first seen already shipped: hold, then deduct
    SHIP = "ship"  # reserved units leave on hand
    RELEASE = "release"  # reserved units come back to available
    NONE = "none"


@dataclass(frozen=True)
class Transition:
    apply: bool  # False: stale or duplicate, change nothing at all
    movement: Movement


_STALE = Transition(apply=False, movement=Movement.NONE)


def transition(
    current: OrderStatus | None,
    current_update_time: datetime | None,
    new: OrderStatus,
    new_update_time: datetime,
) -> Transition:
    """Decide what an incoming status means, given what we already know of the order."""
    if current is None:
        effect = new.stock_effect
        if effect is StockEffect.RESERVED:
            return Transition(True, Movement.RESERVE)
        if effect is StockEffect.DEDUCTED:
            return Transition(True, Movement.RESERVE_AND_SHIP)
        return Transition(True, Movement.NONE)
    if current_update_time is not None and new_update_time < current_update_time:
        return _STALE
    if new_update_time == current_update_time and _RANK[new] <= _RANK[current]:
        # Platform times have 1 s resolution (TikTok): two moves in one second share a time, so
        # a tie is decided by how far along the lifecycle each status is, never backwards.
        return _STALE
    if current is OrderStatus.CANCELLED:
        # Cancelled is final: its units went back to stock and may already be sold again.
        return Transition(True, Movement.NONE) if new is OrderStatus.CANCELLED else _STALE
    return Transition(True, _movement(current.stock_effect, new.stock_effect))


# How far along its life an order is; only consulted to break update_time ties.
_RANK = {
    OrderStatus.PENDING: 0,
    OrderStatus.READY_TO_SHIP: 1,
    OrderStatus.CANCEL_REQUESTED: 2,
    OrderStatus.SHIPPED: 3,
    OrderStatus.DELIVERED: 4,
    OrderStatus.COMPLETED: 5,
    OrderStatus.RETURNED: 6,
    OrderStatus.CANCELLED: 7,
}


def _movement(old: StockEffect, new: StockEffect) -> Movement:
    if old is StockEffect.RESERVED and new is StockEffect.DEDUCTED:
        return Movement.SHIP
    if old is StockEffect.RESERVED and new is StockEffect.RELEASED:
        return Movement.RELEASE
    # Deducted stays deducted (a cancel after shipping or a return needs a person to confirm the
    # goods came back; docs/platforms/shopee.md#order-statuses), and same-effect moves change
    # nothing.
    return Movement.NONE
