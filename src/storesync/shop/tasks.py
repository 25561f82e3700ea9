"""The token lifecycle's periodic jobs: the scheduler sends `shop.refresh_due_tokens` every
`token_check_interval_s` (5 min); it fans out one coalesced refresh per due shop."""

from __future__ import annotations

from datetime import timedelta

from redis import Redis
from sqlalchemy.orm import Session, sessionmaker

from storesync.config import Settings
from storesync.shop.clients import ShopClients
from storesync.shop.lifecycle import warn_expiring_authorizations
from storesync.shop.tokens import due_shop_ids, refresh_if_due
from storesync.worker.jobs import Jobs
from storesync.worker.registry import task


def refresh_key(shop_id: int) -> str:
    return f"refresh:{shop_id}"


@task("shop.refresh_due_tokens", queue="default", max_retries=0, dead_letter=False)
def refresh_due_tokens(*, db: sessionmaker[Session], jobs: Jobs, settings: Settings) -> None:
    margin = timedelta(seconds=settings.token_refresh_margin_s)
    for shop_id in due_shop_ids(db, margin):
        jobs.send_coalesced(
            refresh_key(shop_id), "shop.refresh_tokens", delay_ms=0, shop_id=shop_id
        )
    warn_expiring_authorizations(db, timedelta(days=settings.authorization_warning_days))


# Not kept as dead letters: the scan sends it again in 5 min while the token is due, and a
# refused refresh pauses the shop, which is its own record (paused_reason, a failed job, a log).
@task("shop.refresh_tokens", queue="default", max_retries=2, dead_letter=False)
def refresh_tokens(
    shop_id: int,
    *,
    db: sessionmaker[Session],
    clients: ShopClients,
    jobs: Jobs,
    redis: Redis[bytes] | None,
    settings: Settings,
) -> None:
    jobs.started(refresh_key(shop_id))
    margin = timedelta(seconds=settings.token_refresh_margin_s)
    refresh_if_due(db, clients, redis, shop_id, margin)
