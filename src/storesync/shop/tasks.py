"""The token lifecycle's periodic jobs: the scheduler sends `refresh_due_tokens` every
`token_check_interval_s` (5 min); it fans out one coalesced refresh per due shop."""

from __future__ import annotations

from storesync.shop import lifecycle
from storesync.worker import runtime
from storesync.worker.registry import task


def refresh_key(shop_id: int) -> str:
    return f"refresh:{shop_id}"


@task("refresh_due_tokens", queue="default", max_retries=0, dead_letter=False)
def refresh_due_tokens() -> None:
    container = runtime.container()
    for shop_id in lifecycle.due_shop_ids(container):
        container.jobs.send_coalesced(
            refresh_key(shop_id), "refresh_shop_tokens", delay_ms=0, shop_id=shop_id
        )
    lifecycle.warn_expiring_authorizations(container)


# Not kept as dead letters: the scan sends it again in 5 min while the token is due, and a
# refused refresh pauses the shop, which is its own record (paused_reason, a failed job, a log).
@task("refresh_shop_tokens", queue="default", max_retries=2, dead_letter=False)
def refresh_shop_tokens(shop_id: int) -> None:
    container = runtime.container()
    container.jobs.started(refresh_key(shop_id))
    lifecycle.refresh_if_due(container, shop_id)
