"""`retention.prune`: sent daily by the scheduler (worker/scheduler.py), and again by itself
while a backlog remains."""

from __future__ import annotations

from datetime import timedelta

import structlog
from sqlalchemy.orm import Session, sessionmaker

from storesync.config import Settings
from storesync.db.base import utcnow
from storesync.retention.prune import prune
from storesync.worker.jobs import Jobs
from storesync.worker.registry import task

log = structlog.get_logger(__name__)

PRUNE_TASK = "retention.prune"


# Not kept as dead letters: tomorrow's run deletes whatever a failed one left.
@task(PRUNE_TASK, queue="default", max_retries=2, dead_letter=False)
def prune_expired(*, db: sessionmaker[Session], settings: Settings, jobs: Jobs) -> None:
    cutoff = utcnow() - timedelta(days=settings.retention_days)
    pruned = prune(db, cutoff)
    log.info("retention_pruned", cutoff=cutoff.isoformat(), more=pruned.more, **pruned.counts)
    if pruned.more:
        # The rest in a new job: other work in the queue gets its turn in between.
        jobs.send(PRUNE_TASK)
