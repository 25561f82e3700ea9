"""A person closed a shop's breaker: its deferred work runs now, not when it was due.

While a breaker refuses, each of the shop's jobs waits as one coalesced job delayed by the rest
of the cool-down (a 120 s cool-down defers the shop's push by 120 s). A manual reset means "the
platform is back", so the coalescing keys are freed and the shop's push, webhook batch and poll
are sent at once; the delayed ones still run later and find nothing left to do. Measured before:
after a reset, stock reached Shopee only when a queue retry or the 30 s key expiry came around.
"""

from __future__ import annotations

from storesync.listing.requests import push_key, request_push
from storesync.webhook.batching import batch_key, request_batch
from storesync.worker.jobs import Jobs
from storesync.worker.scheduler import poll_key


def resume_shop(jobs: Jobs, shop_id: int) -> None:
    for key in (push_key(shop_id), batch_key(shop_id), poll_key(shop_id)):
        jobs.pending.release(key)
    request_push(jobs, shop_id, delay_ms=0)
    request_batch(jobs, shop_id, delay_ms=0)
    jobs.send_coalesced(poll_key(shop_id), "order.poll", delay_ms=0, shop_id=shop_id)
