"""`/api/v1/jobs`: recorded sync runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from storesync.auth.policy import VIEWER
from storesync.db.models import SyncJob
from storesync.deps import DEFAULT_PAGE_SIZE, Db, Id, Limit, Offset, ShopIdQuery
from storesync.errors import NotFoundError
from storesync.job.schemas import JobOut

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])


@router.get(
    "/{job_id}",
    response_model=JobOut,
    summary="One sync job",
    dependencies=[VIEWER],
)
def get_job(job_id: Id, db: Db) -> JobOut:
    job = db.get(SyncJob, job_id)
    if job is None:
        raise NotFoundError(f"No job {job_id}.", details={"job_id": job_id})
    return JobOut.of(job)


@router.get(
    "",
    response_model=list[JobOut],
    summary="Sync jobs, newest first",
    dependencies=[VIEWER],
)
def list_jobs(
    db: Db,
    shop_id: ShopIdQuery = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    kind: Annotated[str | None, Query(max_length=24)] = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
) -> list[JobOut]:
    query = select(SyncJob).order_by(SyncJob.id.desc()).limit(limit).offset(offset)
    if shop_id is not None:
        query = query.where(SyncJob.shop_id == shop_id)
    if status:
        query = query.where(SyncJob.status == status)
    if kind:
        query = query.where(SyncJob.kind == kind)
    return [JobOut.of(job) for job in db.scalars(query)]
