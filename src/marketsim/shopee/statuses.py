"""Shopee order statuses (guide 31), what each does to stock, and which moves are allowed.

Stock: UNPAID .. IN_CANCEL hold a reservation (units stay in seller_stock, buyers cannot buy
them); SHIPPED onwards have left the warehouse (removed from seller_stock and from reserved);
CANCELLED released them. TO_RETURN keeps them deducted: a return is restocked only when the seller
says so, which is StoreSync's business, not the platform's.

Moves: anything forward is allowed, including jumps (a test may go READY_TO_SHIP -> COMPLETED);
refused are moves out of CANCELLED/COMPLETED, and moves from a shipped status back to a holding
status or to CANCELLED (the units are gone; Shopee models that as TO_RETURN).
"""

from __future__ import annotations

STATUSES = (
    "UNPAID",
    "READY_TO_SHIP",
    "PROCESSED",
    "RETRY_SHIP",
    "SHIPPED",
    "TO_CONFIRM_RECEIVE",
    "IN_CANCEL",
    "CANCELLED",
    "TO_RETURN",
    "COMPLETED",
)
HOLDING = frozenset({"UNPAID", "READY_TO_SHIP", "PROCESSED", "RETRY_SHIP", "IN_CANCEL"})
SHIPPED = frozenset({"SHIPPED", "TO_CONFIRM_RECEIVE", "TO_RETURN", "COMPLETED"})
RELEASED = frozenset({"CANCELLED"})
TERMINAL = frozenset({"CANCELLED", "COMPLETED"})
# What /_sim/orders creates when no status is given: a paid order, the case stock sync is about.
DEFAULT_NEW = "READY_TO_SHIP"


def move_allowed(current: str, new: str) -> bool:
    if current in TERMINAL:
        return False
    return not (current in SHIPPED and (new in HOLDING or new in RELEASED))
