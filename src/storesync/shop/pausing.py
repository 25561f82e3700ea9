"""Pausing a shop whose grant is gone, and telling that apart from a pair rotated elsewhere.

An unrecoverable authentication failure (refresh refused, grant revoked) pauses the shop: sync
stops (the scheduler, push and poll skip non-active shops) until it is reconnected, which makes it
active again. Refusals caused by another process having rotated the pair first are not failures;
they are retried with the stored pair.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from storesync.db.engine import unit_of_work
from storesync.db.models import Shop
from storesync.errors import AuthenticationError, StoreSyncError, TokenExpiredError
from storesync.observability.metrics import shops_paused_total
from storesync.shop.clients import ShopClients

log = structlog.get_logger(__name__)

ROTATION_RECHECKS_S = (0.0, 0.5, 1.0)  # a winner's commit lands a few ms after its HTTP answer


class TokensRotatedError(AuthenticationError):
    """The pair was replaced elsewhere while this process held the old one: not a dead grant.

    Retryable, unlike its parent: the retry picks up the stored pair.
    """

    retryable = True
    default_message = "The shop's tokens were refreshed by another process; retrying."


@contextmanager
def pause_on_auth_failure(
    db: sessionmaker[Session], clients: ShopClients, shop_id: int
) -> Iterator[None]:
    """Around a job's platform work: an unrecoverable auth failure pauses the shop, then raises.

    TokenExpiredError is left alone (the client refreshes once itself; only what is still
    refused after that reaches here as a plain AuthenticationError).
    """
    started_with = _stored_expiry(db, shop_id)
    try:
        yield
    except TokensRotatedError:
        raise
    except TokenExpiredError:
        raise
    except AuthenticationError as exc:
        if _rotated_elsewhere(db, clients, shop_id, started_with):
            raise TokensRotatedError(details={"shop_id": shop_id}) from exc
        pause_shop(db, shop_id, exc)
        raise


def _stored_expiry(db: sessionmaker[Session], shop_id: int) -> datetime | None:
    with unit_of_work(db) as session:
        return session.scalar(select(Shop.access_expires_at).where(Shop.id == shop_id))


def _rotated_elsewhere(
    db: sessionmaker[Session], clients: ShopClients, shop_id: int, started_with: datetime | None
) -> bool:
    """Whether the stored pair changed under us: another process refreshed, or the shop was
    reconnected, while this job held the old pair. Then the refusal says nothing about the grant.
    """
    for delay in ROTATION_RECHECKS_S:
        time.sleep(delay)
        with unit_of_work(db) as session:
            shop = session.get(Shop, shop_id)
            if shop is None:
                return False
            if shop.access_expires_at != started_with or clients.is_stale(shop):
                return True
    return False


def pause_shop(db: sessionmaker[Session], shop_id: int, error: StoreSyncError) -> bool:
    """Stop sync for the shop until it is reconnected; True if this call paused it."""
    reason = f"{error.code.value}: {error.message}"[:500]
    with unit_of_work(db) as session:
        result: Any = session.execute(
            update(Shop)
            .where(Shop.id == shop_id, Shop.status == "active")
            .values(status="paused", paused_reason=reason)
        )
        platform = session.scalar(select(Shop.platform).where(Shop.id == shop_id))
    if result.rowcount != 1:
        return False
    shops_paused_total.labels(platform or "unknown").inc()
    log.error(
        "shop_paused",
        shop_id=shop_id,
        platform=platform,
        severity="high",
        code=error.code.value,
        reason=reason,
        action="Reconnect the shop: its authorization was refused; sync stays paused until then.",
    )
    return True
