"""Stored webhooks are processed per shop in batches, not one job (and one platform call) each.

Each order causes ~4 order webhooks; one order-detail call per webhook was ~40 calls/s at
10 orders/s, more than the 4 worker threads and the per-shop budget (10/s per family) could take
(bench/README.md, run A). Both platforms return up to 50 orders per detail call, so intake only
asks for the shop's batch job; a burst arriving within the debounce shares one call.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from storesync.worker.after_commit import after_commit
from storesync.worker.jobs import Jobs

BATCH_TASK = "webhook.process_batch"
# Gathers what arrives meanwhile, and a running batch makes the next one wait (more gathering).
# Measured (bench/propagation.py): 10 orders/s p95 1.6-1.7 s with 50 or 75 ms (14.6 s before);
# at 2/s without added latency p95 408 ms with 50, 435 with 75 (310 before: the debounce is
# paid at low rates too).
BATCH_DEBOUNCE_MS = 50


def batch_key(shop_id: int) -> str:
    return f"webhooks:{shop_id}"


def running_key(shop_id: int) -> str:
    return f"webhooks-running:{shop_id}"


def request_batch(jobs: Jobs, shop_id: int, delay_ms: int = BATCH_DEBOUNCE_MS) -> None:
    jobs.send_coalesced(batch_key(shop_id), BATCH_TASK, delay_ms=delay_ms, shop_id=shop_id)


def request_batch_after_commit(session: Session, jobs: Jobs, shop_id: int) -> None:
    """After this transaction commits (the event row exists), make sure the shop's batch runs."""
    after_commit(session, batch_key(shop_id), lambda: request_batch(jobs, shop_id))
