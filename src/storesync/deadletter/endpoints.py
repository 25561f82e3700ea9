"""`/api/v1/deadletters`: work the queue gave up on — list, inspect, replay, discard."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from storesync.deadletter import service
from storesync.deadletter.schemas import (
    DeadLetterOut,
    DeadLetterStatus,
    DiscardRequest,
    ReplayRequest,
)
from storesync.deps import Db, JobsDep
from storesync.errors import ErrorCode

router = APIRouter(prefix="/api/v1/deadletters", tags=["dead letters"])


@router.get("", response_model=list[DeadLetterOut], summary="Dead letters, newest first")
def list_dead_letters(
    db: Db,
    status: DeadLetterStatus | None = None,
    code: ErrorCode | None = None,
    task: str | None = None,
    shop_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[DeadLetterOut]:
    rows = service.DeadLetterService(db).list(
        status=status,
        code=code.value if code else None,
        task=task,
        shop_id=shop_id,
        limit=limit,
    )
    return [DeadLetterOut.of(row) for row in rows]


@router.get("/{letter_id}", response_model=DeadLetterOut, summary="One dead letter")
def get_dead_letter(letter_id: int, db: Db) -> DeadLetterOut:
    return DeadLetterOut.of(service.DeadLetterService(db).get(letter_id))


@router.post(
    "/{letter_id}/replay",
    response_model=DeadLetterOut,
    status_code=202,
    summary="Send the task again with the same arguments",
)
def replay_dead_letter(
    letter_id: int, db: Db, jobs: JobsDep, body: ReplayRequest | None = None
) -> DeadLetterOut:
    actor = (body or ReplayRequest()).actor
    return DeadLetterOut.of(service.replay(db, jobs, letter_id, actor))


@router.post("/{letter_id}/discard", response_model=DeadLetterOut, summary="Drop it, with why")
def discard_dead_letter(
    letter_id: int, db: Db, body: DiscardRequest | None = None
) -> DeadLetterOut:
    request = body or DiscardRequest()
    row = service.DeadLetterService(db).discard(letter_id, request.actor, request.reason)
    return DeadLetterOut.of(row)
