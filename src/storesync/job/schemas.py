"""What `/api/v1/jobs` answers: one recorded sync run."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from storesync.db.models import SyncJob


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

    @classmethod
    def of(cls, job: SyncJob) -> JobOut:
        return cls(
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
