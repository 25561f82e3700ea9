"""`GET /api/v1/audit`: who changed what, newest first (admins only: it names every user)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from storesync.audit import service
from storesync.audit.schemas import AuditEntryOut
from storesync.auth.policy import ADMIN
from storesync.deps import DEFAULT_PAGE_SIZE, Db, Limit, Offset

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("", response_model=list[AuditEntryOut], summary="The audit log", dependencies=[ADMIN])
def list_audit(
    db: Db,
    actor: Annotated[str | None, Query(max_length=120)] = None,
    action: Annotated[
        str | None, Query(max_length=64, description='exact, or a prefix such as "breaker."')
    ] = None,
    target: Annotated[str | None, Query(max_length=200)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
) -> list[AuditEntryOut]:
    query = service.AuditQuery(
        actor=actor,
        action=action,
        target=target,
        since=service.aware(since),
        until=service.aware(until),
        limit=limit,
        offset=offset,
    )
    return [AuditEntryOut.of(row) for row in service.search(db, query)]
