"""A shop's token lifecycle: refresh before expiry, pause on a dead grant, warn before it ends.

Numbers: Shopee access tokens live 4 h and refresh tokens 30 days, single use; the grant itself
lasts 365 days and push code 12 warns 7 days ahead (TikTok: UPCOMING_AUTHORIZATION_EXPIRATION, from
30 days ahead, daily). We refresh any token expiring within 30 min, checked every 5 min, so a
token gets six chances before it would expire and calls never wait on a reactive refresh.

Single flight: inside one process the shop's cached client serialises refreshes (its TokenKeeper)
and a per-shop lock here re-reads the stored expiry before refreshing, so ten callers make one
platform call. Across processes a Redis lock (`SET NX EX 30`) does the same, and the client cache
rebuilds a client whose pair another process replaced (`ShopClients.for_shop`).

An unrecoverable authentication failure (refresh refused, grant revoked) pauses the shop: sync
stops (the scheduler, push and poll skip non-active shops) until it is reconnected, which makes it
active again. Refusals caused by another process having rotated the pair first are not failures;
they are retried with the stored pair.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storesync.db.base import utcnow
from storesync.db.engine import unit_of_work
from storesync.db.models import Shop
from storesync.errors import AuthenticationError, StoreSyncError, TokenExpiredError
from storesync.observability.metrics import shops_paused_total, token_refreshes_total
from storesync.sync.records import run_job

if TYPE_CHECKING:
    from redis import Redis

    from storesync.bootstrap import Container

log = structlog.get_logger(__name__)

REDIS_LOCK_TTL_S = 30  # one refresh call (10 s read timeout, a few in-call retries) fits inside
ROTATION_RECHECKS_S = (0.0, 0.5, 1.0)  # a winner's commit lands a few ms after its HTTP answer
WARN_EVERY = timedelta(hours=24)  # an expiring grant is logged once a day per process

_process_locks: dict[int, threading.Lock] = {}
_process_locks_guard = threading.Lock()
_warned_at: dict[int, datetime] = {}


class TokensRotatedError(AuthenticationError):
    """The pair was replaced elsewhere while this process held the old one: not a dead grant.

    Retryable, unlike its parent: the retry picks up the stored pair.
    """

    retryable = True
    default_message = "The shop's tokens were refreshed by another process; retrying."


# --- pure rules ------------------------------------------------------------------------------


def refresh_due(expires_at: datetime | None, now: datetime, margin: timedelta) -> bool:
    return expires_at is not None and expires_at - now <= margin


def authorization_warning(
    authorization_expires_at: datetime | None,
    refresh_expires_at: datetime | None,
    now: datetime,
    window: timedelta,
) -> str | None:
    """What to tell the seller before sync stops for want of a grant, or None."""
    if authorization_expires_at is not None and authorization_expires_at - now <= window:
        return _ending("The shop's authorization", authorization_expires_at, now)
    if refresh_expires_at is not None and refresh_expires_at - now <= window:
        return _ending("The shop's refresh token", refresh_expires_at, now)
    return None


def _ending(what: str, when: datetime, now: datetime) -> str:
    day = when.date().isoformat()
    if when <= now:
        return f"{what} ended on {day}; reconnect the shop to resume sync."
    return f"{what} ends on {day}; reconnect the shop before then to keep it in sync."


# --- proactive refresh -----------------------------------------------------------------------


def due_shop_ids(container: Container, now: datetime | None = None) -> list[int]:
    margin = timedelta(seconds=container.settings.token_refresh_margin_s)
    horizon = (now or utcnow()) + margin
    with unit_of_work(container.session_factory) as session:
        return list(
            session.scalars(
                select(Shop.id).where(
                    Shop.status == "active",
                    Shop.access_expires_at.is_not(None),
                    Shop.access_expires_at <= horizon,
                )
            )
        )


def refresh_if_due(container: Container, shop_id: int, now: datetime | None = None) -> bool:
    """Refresh the shop's pair if it expires within the margin; True if this call refreshed."""
    margin = timedelta(seconds=container.settings.token_refresh_margin_s)
    if not _is_due(container, shop_id, now, margin):
        return False
    with _shared_lock(container.redis, shop_id) as held:
        if not held:
            return False  # another process is refreshing this shop right now
        with _process_lock(shop_id):
            # Re-read under the locks: whoever held them before us may have refreshed already.
            with unit_of_work(container.session_factory) as session:
                shop = session.get(Shop, shop_id)
                if shop is None or shop.status != "active":
                    return False
                if not refresh_due(shop.access_expires_at, now or utcnow(), margin):
                    return False
                client = container.clients.for_shop(shop)
                platform = shop.platform
            with (
                pause_on_auth_failure(shop_id, container),
                run_job(container.session_factory, "token_refresh", shop_id),
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


def _is_due(container: Container, shop_id: int, now: datetime | None, margin: timedelta) -> bool:
    with unit_of_work(container.session_factory) as session:
        shop = session.get(Shop, shop_id)
        return (
            shop is not None
            and shop.status == "active"
            and refresh_due(shop.access_expires_at, now or utcnow(), margin)
        )


@contextmanager
def _process_lock(shop_id: int) -> Iterator[None]:
    with _process_locks_guard:
        lock = _process_locks.setdefault(shop_id, threading.Lock())
    with lock:
        yield


@contextmanager
def _shared_lock(redis: Redis[bytes] | None, shop_id: int) -> Iterator[bool]:
    if redis is None:
        yield True  # one process (the embedded default): the process lock is enough
        return
    from redis.exceptions import RedisError

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


# --- pausing and resuming --------------------------------------------------------------------


@contextmanager
def pause_on_auth_failure(shop_id: int, container: Container | None = None) -> Iterator[None]:
    """Around a job's platform work: an unrecoverable auth failure pauses the shop, then raises.

    TokenExpiredError is left alone (the client refreshes once itself; only what is still
    refused after that reaches here as a plain AuthenticationError).
    """
    if container is None:
        from storesync.worker import runtime

        container = runtime.container()
    started_with = _stored_expiry(container, shop_id)
    try:
        yield
    except TokensRotatedError:
        raise
    except TokenExpiredError:
        raise
    except AuthenticationError as exc:
        if _rotated_elsewhere(container, shop_id, started_with):
            raise TokensRotatedError(details={"shop_id": shop_id}) from exc
        pause_shop(container, shop_id, exc)
        raise


def _stored_expiry(container: Container, shop_id: int) -> datetime | None:
    with unit_of_work(container.session_factory) as session:
        return session.scalar(select(Shop.access_expires_at).where(Shop.id == shop_id))


def _rotated_elsewhere(container: Container, shop_id: int, started_with: datetime | None) -> bool:
    """Whether the stored pair changed under us: another process refreshed, or the shop was
    reconnected, while this job held the old pair. Then the refusal says nothing about the grant.
    """
    for delay in ROTATION_RECHECKS_S:
        time.sleep(delay)
        with unit_of_work(container.session_factory) as session:
            shop = session.get(Shop, shop_id)
            if shop is None:
                return False
            if shop.access_expires_at != started_with or container.clients.is_stale(shop):
                return True
    return False


def pause_shop(container: Container, shop_id: int, error: StoreSyncError) -> bool:
    """Stop sync for the shop until it is reconnected; True if this call paused it."""
    reason = f"{error.code.value}: {error.message}"[:500]
    with unit_of_work(container.session_factory) as session:
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


# --- authorization expiry ----------------------------------------------------------------------


def note_authorization_expiring(
    session: Session, shop_id: int, ends_at: datetime, source: str
) -> None:
    """A platform told us the grant ends at `ends_at`: keep the earliest date we heard of."""
    shop = session.get(Shop, shop_id)
    if shop is None:
        return
    if shop.authorization_expires_at is None or ends_at < shop.authorization_expires_at:
        shop.authorization_expires_at = ends_at
    log.warning(
        "authorization_expiring",
        shop_id=shop_id,
        platform=shop.platform,
        ends_at=ends_at.isoformat(),
        source=source,
        action="Reconnect the shop before then.",
    )


def warn_expiring_authorizations(container: Container, now: datetime | None = None) -> list[int]:
    """Log a warning (at most daily per shop and process) for grants ending soon."""
    now = now or utcnow()
    window = timedelta(days=container.settings.authorization_warning_days)
    warned = []
    with unit_of_work(container.session_factory) as session:
        shops = list(session.scalars(select(Shop).where(Shop.status == "active")))
        for shop in shops:
            text = authorization_warning(
                shop.authorization_expires_at, shop.refresh_expires_at, now, window
            )
            last = _warned_at.get(shop.id)
            if text is None or (last is not None and now - last < WARN_EVERY):
                continue
            _warned_at[shop.id] = now
            warned.append(shop.id)
            log.warning(
                "authorization_expiring", shop_id=shop.id, platform=shop.platform, message=text
            )
    return warned
