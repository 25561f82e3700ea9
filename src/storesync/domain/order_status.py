"""The unified order status and what each status means for stock.

Each marketplace client maps its own enum onto `OrderStatus`
(docs/platforms/shopee.md#order-statuses, docs/platforms/tiktok.md#order-statuses); from here on
nothing knows the vendor's words.
"""

from __future__ import annotations

import enum


class StockEffect(enum.StrEnum):
    """What an order in a status does to the master inventory."""

    RESERVED = "reserved"  # held for the buyer: counts against available, still on hand
    DEDUCTED = "deducted"  # left the warehouse: on hand went down
    RELEASED = "released"  # nothing held any more


class OrderStatus(enum.StrEnum):
    PENDING = "pending"
    READY_TO_SHIP = "ready_to_ship"
    CANCEL_REQUESTED = "cancel_requested"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    RETURNED = "returned"

    @property
    def stock_effect(self) -> StockEffect:
        return _EFFECT[self]


_EFFECT = {
    OrderStatus.PENDING: StockEffect.RESERVED,
    OrderStatus.READY_TO_SHIP: StockEffect.RESERVED,
    OrderStatus.CANCEL_REQUESTED: StockEffect.RESERVED,
    OrderStatus.SHIPPED: StockEffect.DEDUCTED,
    OrderStatus.DELIVERED: StockEffect.DEDUCTED,
    OrderStatus.COMPLETED: StockEffect.DEDUCTED,
    OrderStatus.CANCELLED: StockEffect.RELEASED,
    # A return keeps the units deducted until the seller confirms the item came back
    # (docs/platforms/shopee.md#order-statuses).
    OrderStatus.RETURNED: StockEffect.DEDUCTED,
}
