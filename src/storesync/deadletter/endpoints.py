"""`/api/v1/deadletters`: work the queue gave up on — list, inspect, replay, discard."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from storesync.audit import service as audit
from storesync.auth.policy import OPERATOR, VIEWER, Actor
from storesync.db.models import DeadLetter
from storesync.deadletter import service
from storesync.deadletter.schemas import (
    DeadLetterOut,
    DeadLetterStatus,
    DiscardRequest,
)
from storesync.deps import DEFAULT_PAGE_SIZE, Db, Id, JobsDep, Limit, Offset, ShopIdQuery
from storesync.errors import ErrorCode

router = APIRouter(prefix="/api/v1/deadletters", tags=["dead letters"])


@router.get(
    "",
    response_model=list[DeadLetterOut],
    summary="Dead letters, newest first",
    dependencies=[VIEWER],
)
def list_dead_letters(
    db: Db,
    status: DeadLetterStatus | None = None,
    code: ErrorCode | None = None,
    task: Annotated[str | None, Query(max_length=64)] = None,
    shop_id: ShopIdQuery = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
) -> list[DeadLetterOut]:
    query = select(DeadLetter).order_by(DeadLetter.id.desc()).limit(limit).offset(offset)
    filters = (
        (DeadLetter.status, status),
        (DeadLetter.error_code, code.value if code else None),
        (DeadLetter.task, task),
        (DeadLetter.shop_id, shop_id),
    )
    for column, value in filters:
        if value is not None:
            query = query.where(column == value)
    return [DeadLetterOut.of(row) for row in db.scalars(query)]


@router.get(
    "/{letter_id}",
    response_model=DeadLetterOut,
    summary="One dead letter",
    dependencies=[VIEWER],
)
def get_dead_letter(letter_id: Id, db: Db) -> DeadLetterOut:
    return DeadLetterOut.of(service.DeadLetterService(db).get(letter_id))


@router.post(
    "/{letter_id}/replay",
    response_model=DeadLetterOut,
    status_code=202,
    summary="Send the task again with the same arguments",
    dependencies=[OPERATOR],
)
def replay_dead_letter(letter_id: Id, db: Db, jobs: JobsDep, who: Actor) -> DeadLetterOut:
    row = service.replay(db, jobs, letter_id, who.actor)
    audit.record(db, who, "deadletter.replay", letter_id, after={"task": row.task})
    return DeadLetterOut.of(row)


@router.post(
    "/{letter_id}/discard",
    response_model=DeadLetterOut,
    summary="Drop it, with why",
    dependencies=[OPERATOR],
)
def discard_dead_letter(
    letter_id: Id, db: Db, who: Actor, body: DiscardRequest | None = None
) -> DeadLetterOut:
    reason = (body or DiscardRequest()).reason
    row = service.DeadLetterService(db).discard(letter_id, who.actor, reason)
    audit.record(db, who, "deadletter.discard", letter_id, after={"reason": reason})
    return DeadLetterOut.of(row)
