"""`/api/v1/jobs`: recorded sync runs."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select

from storesync.api.deps import Db
from storesync.db.models import SyncJob
from storesync.errors import NotFoundError

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])


class JobOut(BaseModel):
    id: int
    kind: str
    shop_id: int | None
    status: str
    counts: dict[str, int]
    errors: list[dict[str, Any]]
    params: dict[str, Any]
    correlation_id: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: int | None


def job_out(job: SyncJob) -> JobOut:
    return JobOut(
        id=job.id,
        kind=job.kind,
        shop_id=job.shop_id,
        status=job.status,
        counts=json.loads(job.counts_json),
        errors=json.loads(job.errors_json),
        params=json.loads(job.params_json),
        correlation_id=job.correlation_id,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        duration_ms=job.duration_ms,
    )


@router.get("/{job_id}", response_model=JobOut, summary="One sync job")
def get_job(job_id: int, db: Db) -> JobOut:
    job = db.get(SyncJob, job_id)
    if job is None:
        raise NotFoundError(f"No job {job_id}.", details={"job_id": job_id})
    return job_out(job)


@router.get("", response_model=list[JobOut], summary="Sync jobs, newest first")
def list_jobs(
    db: Db,
    shop_id: int | None = None,
    status: str | None = None,
    kind: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[JobOut]:
    query = select(SyncJob).order_by(SyncJob.id.desc()).limit(limit)
    if shop_id is not None:
        query = query.where(SyncJob.shop_id == shop_id)
    if status:
        query = query.where(SyncJob.status == status)
    if kind:
        query = query.where(SyncJob.kind == kind)
    return [job_out(job) for job in db.scalars(query)]
