"""`POST /api/v1/reconcile`: queue a reconciliation pass; follow it at `/api/v1/jobs/{job_id}`."""

from __future__ import annotations

from fastapi import APIRouter

from storesync.audit import service as audit
from storesync.auth.policy import OPERATOR, Actor
from storesync.db.models import Shop
from storesync.deps import Db, JobsDep
from storesync.errors import NotFoundError
from storesync.job.records import new_job
from storesync.reconcile.schemas import ReconcileIn, ReconcileJob

router = APIRouter(prefix="/api/v1/reconcile", tags=["reconcile"])


@router.post(
    "",
    response_model=ReconcileJob,
    status_code=202,
    summary="Read back every listing and recent order from the platforms; heal drift",
    dependencies=[OPERATOR],
)
def start_reconcile(
    db: Db, jobs: JobsDep, who: Actor, body: ReconcileIn | None = None
) -> ReconcileJob:
    body = body or ReconcileIn()
    if body.shop_id is not None and db.get(Shop, body.shop_id) is None:
        raise NotFoundError(f"No shop {body.shop_id}.", details={"shop_id": body.shop_id})
    job_id = new_job(db, "reconcile", body.shop_id, dry_run=body.dry_run, shop=body.shop_id)
    jobs.send_after_commit(
        db, "reconcile.run", job_id=job_id, shop_id=body.shop_id, dry_run=body.dry_run
    )
    audit.record(
        db,
        who,
        "reconcile.start",
        body.shop_id or "all",
        after={"job_id": job_id, "dry_run": body.dry_run},
    )
    return ReconcileJob(job_id=job_id)
