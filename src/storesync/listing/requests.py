"""Asking for a shop's stock push: coalesced per shop, after the commit that made it necessary.

`push_on_commit(jobs)` is the hook stock changes call (`InventoryService.on_dirty_shop`): a
hundred changes to one shop in one transaction, or in a burst, become one `listing.push_stock`.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from storesync.inventory.service import DirtyShopHook
from storesync.worker.after_commit import after_commit
from storesync.worker.jobs import Jobs

PUSH_TASK = "listing.push_stock"
PUSH_DEBOUNCE_MS = 150  # coalesces a burst of changes into one push; well inside the 1 s goal


def push_key(shop_id: int) -> str:
    """Held while a push for the shop is queued: further requests join it."""
    return f"push:{shop_id}"


def pushing_key(shop_id: int) -> str:
    """Held while a push for the shop runs: one at a time per shop."""
    return f"pushing:{shop_id}"


def request_push(jobs: Jobs, shop_id: int, delay_ms: int = PUSH_DEBOUNCE_MS) -> bool:
    """Queue a push for the shop unless one is already waiting; True if this call queued it."""
    return jobs.send_coalesced(push_key(shop_id), PUSH_TASK, delay_ms=delay_ms, shop_id=shop_id)


def push_on_commit(jobs: Jobs) -> DirtyShopHook:
    """The stock-change hook: after this transaction commits, make sure the shop's push runs."""

    def on_dirty_shop(session: Session, shop_id: int) -> None:
        after_commit(session, push_key(shop_id), lambda: request_push(jobs, shop_id))

    return on_dirty_shop
