"""Refreshing a shop's tokens before they expire, once, whichever process notices first.

Numbers (docs/platforms/shopee.md#tokens, docs/platforms/tiktok.md#tokens): Shopee access tokens
live 4 h and refresh tokens 30 days, single use. We refresh any token expiring within 30 min,
checked every 5 min, so a token gets six chances before it would expire and calls never wait on a
reactive refresh.

Single flight: inside one process the shop's cached client serialises refreshes (its TokenKeeper)
and a per-shop lock here re-reads the stored expiry before refreshing, so ten callers make one
platform call. Across processes a Redis lock (`SET NX EX 30`) does the same, and the client cache
rebuilds a client whose pair another process replaced (`ShopClients.for_shop`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta

import structlog
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storesync.db.base import utcnow
from storesync.db.engine import unit_of_work
from storesync.db.models import Shop
from storesync.errors import AuthenticationError, StoreSyncError
from storesync.job.records import run_job
from storesync.observability.metrics import token_refreshes_total
from storesync.shop.clients import ShopClients
from storesync.shop.pausing import pause_on_auth_failure

log = structlog.get_logger(__name__)

REDIS_LOCK_TTL_S = 30  # one refresh call (15 s read timeout, in-call retries in 9 s) fits inside


class ProcessLocks:
    """One lock per shop inside this process (threads of one worker share it)."""

    def __init__(self) -> None:
        self._locks: dict[int, threading.Lock] = {}
        self._guard = threading.Lock()

    @contextmanager
    def hold(self, shop_id: int) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(shop_id, threading.Lock())
        with lock:
            yield


# Per process by nature (it guards this process's threads), so it lives as long as the process.
_process_locks = ProcessLocks()


def refresh_due(expires_at: datetime | None, now: datetime, margin: timedelta) -> bool:
    return expires_at is not None and expires_at - now <= margin


def due_shop_ids(
    db: sessionmaker[Session], margin: timedelta, now: datetime | None = None
) -> list[int]:
    horizon = (now or utcnow()) + margin
    with unit_of_work(db) as session:
        return list(
            session.scalars(
                select(Shop.id).where(
                    Shop.status == "active",
                    Shop.access_expires_at.is_not(None),
                    Shop.access_expires_at <= horizon,
                )
            )
        )


def refresh_if_due(
    db: sessionmaker[Session],
    clients: ShopClients,
    redis: Redis[bytes] | None,
    shop_id: int,
    margin: timedelta,
    now: datetime | None = None,
) -> bool:
    """Refresh the shop's pair if it expires within the margin; True if this call refreshed."""
    if not _is_due(db, shop_id, now, margin):
        return False
    with _shared_lock(redis, shop_id) as held:
        if not held:
            return False  # another process is refreshing this shop right now
        with _process_locks.hold(shop_id):
            # Re-read under the locks: whoever held them before us may have refreshed already.
            with unit_of_work(db) as session:
                shop = session.get(Shop, shop_id)
                if shop is None or shop.status != "active":
                    return False
                if not refresh_due(shop.access_expires_at, now or utcnow(), margin):
                    return False
                client = clients.for_shop(shop)
                platform = shop.platform
            with (
                pause_on_auth_failure(db, clients, shop_id),
                run_job(db, "token_refresh", shop_id),
            ):
                try:
                    client.refresh_tokens()  # persisted by the client cache before it returns
                except AuthenticationError:
                    token_refreshes_total.labels(platform, "refused").inc()
                    raise
                except StoreSyncError:
                    token_refreshes_total.labels(platform, "error").inc()
                    raise
    token_refreshes_total.labels(platform, "ok").inc()
    log.info("token_refreshed", shop_id=shop_id, platform=platform, proactive=True)
    return True


def _is_due(
    db: sessionmaker[Session], shop_id: int, now: datetime | None, margin: timedelta
) -> bool:
    with unit_of_work(db) as session:
        shop = session.get(Shop, shop_id)
        return (
            shop is not None
            and shop.status == "active"
            and refresh_due(shop.access_expires_at, now or utcnow(), margin)
        )


@contextmanager
def _shared_lock(redis: Redis[bytes] | None, shop_id: int) -> Iterator[bool]:
    if redis is None:
        yield True  # one process (the embedded default): the process lock is enough
        return
    lock = redis.lock(f"storesync:refresh:{shop_id}", timeout=REDIS_LOCK_TTL_S, blocking=False)
    try:
        acquired = bool(lock.acquire())
    except RedisError:
        # Refreshing without the lock could spend the refresh token twice; the next check
        # (5 min, six chances inside the 30 min margin) tries again.
        log.warning("token_refresh_lock_unavailable", shop_id=shop_id)
        acquired = False
    try:
        yield acquired
    finally:
        if acquired:
            with suppress(RedisError):  # it expires by itself in REDIS_LOCK_TTL_S
                lock.release()
