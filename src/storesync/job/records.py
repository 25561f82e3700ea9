"""Every sync run is recorded: kind, shop, status, counts, error codes, duration, correlation id."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from storesync.db.base import utcnow
from storesync.db.engine import unit_of_work
from storesync.db.models import SyncJob
from storesync.errors import InternalError, StoreSyncError
from storesync.observability.context import current_correlation_id
from storesync.observability.metrics import sync_jobs_failed_total, sync_jobs_total
from storesync.observability.redact import redact


@dataclass
class JobRun:
    id: int
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def error(self, error: StoreSyncError, **context: Any) -> None:
        if len(self.errors) < 50:  # a failing run must not write megabytes of errors
            self.errors.append({"code": error.code.value, "message": error.message, **context})


def new_job(session: Session, kind: str, shop_id: int | None, **params: Any) -> int:
    """Record a queued job inside the caller's transaction (e.g. the request that asked for it)."""
    job = SyncJob(
        kind=kind,
        shop_id=shop_id,
        status="queued",
        params_json=json.dumps(params, default=str),
        correlation_id=current_correlation_id(),
    )
    session.add(job)
    session.flush()
    return job.id


def create_job(
    factory: sessionmaker[Session], kind: str, shop_id: int | None, **params: Any
) -> int:
    with unit_of_work(factory) as session:
        return new_job(session, kind, shop_id, **params)


@contextmanager
def run_job(
    factory: sessionmaker[Session],
    kind: str,
    shop_id: int | None,
    job_id: int | None = None,
    **params: Any,
) -> Iterator[JobRun]:
    """Record a run around the block; an exception marks it failed (and propagates)."""
    job_id = job_id or create_job(factory, kind, shop_id, **params)
    started = time.perf_counter()
    with unit_of_work(factory) as session:
        job = session.get(SyncJob, job_id)
        if job is not None:
            job.status, job.started_at = "running", utcnow()
    run = JobRun(job_id)
    status = "succeeded"
    try:
        yield run
    except StoreSyncError as exc:
        run.error(exc)
        status = "failed"
        raise
    except Exception:
        run.error(InternalError("The job crashed; see the logs for this correlation id."))
        status = "failed"
        raise
    finally:
        if status == "succeeded" and run.errors:
            status = "partial"
        # Counted before the record is written: a run whose record fails to save still ran.
        sync_jobs_total.labels(kind, status).inc()
        if status == "failed":
            sync_jobs_failed_total.labels(kind).inc()
        with unit_of_work(factory) as session:
            job = session.get(SyncJob, job_id)
            if job is not None:
                job.status = status
                job.counts_json = json.dumps(run.counts)
                job.errors_json = json.dumps(redact(run.errors))
                job.finished_at = utcnow()
                job.duration_ms = int((time.perf_counter() - started) * 1000)
