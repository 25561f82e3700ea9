"""API shapes for reconciliation."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from storesync.deps import MAX_ID


class ReconcileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shop_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="one shop; default: every active shop"
    )
    dry_run: bool = Field(default=False, description="report drift, change nothing")


class ReconcileJob(BaseModel):
    job_id: int
