"""API shapes for dead letters."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from storesync.db.models import DeadLetter
from storesync.deadletter.service import kwargs_of
from storesync.deps import NoNul

DeadLetterStatus = Literal["dead", "replayed", "discarded"]


class DeadLetterOut(BaseModel):
    id: int
    task: str
    queue: str
    payload: dict[str, Any]  # the task's kwargs, replayed as they are
    shop_id: int | None
    error_code: str
    error_message: str
    attempts: int
    correlation_id: str | None
    status: str
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    note: str

    @classmethod
    def of(cls, row: DeadLetter) -> DeadLetterOut:
        return cls(
            id=row.id,
            task=row.task,
            queue=row.queue,
            payload=kwargs_of(row),
            shop_id=row.shop_id,
            error_code=row.error_code,
            error_message=row.error_message,
            attempts=row.attempts,
            correlation_id=row.correlation_id,
            status=row.status,
            created_at=row.created_at,
            resolved_at=row.resolved_at,
            resolved_by=row.resolved_by,
            note=row.note,
        )


class DiscardRequest(BaseModel):
    reason: Annotated[str, NoNul] = Field(
        default="", max_length=500, description="why it is dropped"
    )
