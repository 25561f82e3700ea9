"""`POST /api/v1/reconcile`: queue a reconciliation pass; follow it at `/api/v1/jobs/{job_id}`."""

from __future__ import annotations

from fastapi import APIRouter

from storesync.api.deps import App, Db
from storesync.db.models import Shop
from storesync.errors import NotFoundError
from storesync.reconcile.schemas import ReconcileIn, ReconcileJob
from storesync.sync.records import new_job

router = APIRouter(prefix="/api/v1/reconcile", tags=["reconcile"])


@router.post(
    "",
    response_model=ReconcileJob,
    status_code=202,
    summary="Read back every listing and recent order from the platforms; heal drift",
)
def start_reconcile(db: Db, app: App, body: ReconcileIn | None = None) -> ReconcileJob:
    body = body or ReconcileIn()
    if body.shop_id is not None and db.get(Shop, body.shop_id) is None:
        raise NotFoundError(f"No shop {body.shop_id}.", details={"shop_id": body.shop_id})
    job_id = new_job(db, "reconcile", body.shop_id, dry_run=body.dry_run, shop=body.shop_id)
    app.jobs.send_after_commit(
        db, "reconcile", job_id=job_id, shop_id=body.shop_id, dry_run=body.dry_run
    )
    return ReconcileJob(job_id=job_id)
