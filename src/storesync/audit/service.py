"""Writing and reading the audit log. `record` joins the caller's transaction: the action and its
audit row commit together or not at all."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from storesync.auth.identity import Identity
from storesync.db.models import AuditEntry
from storesync.observability.context import current_correlation_id


def record(
    session: Session,
    who: Identity | str,
    action: str,
    target: str | int = "",
    *,
    before: Any = None,
    after: Any = None,
) -> AuditEntry:
    entry = AuditEntry(
        actor=who.actor if isinstance(who, Identity) else who,
        action=action,
        target=str(target)[:200],
        before_json=None if before is None else json.dumps(before, default=str, sort_keys=True),
        after_json=None if after is None else json.dumps(after, default=str, sort_keys=True),
        correlation_id=current_correlation_id(),
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditQuery:
    actor: str | None = None
    action: str | None = None  # exact, or a prefix ending in "." (e.g. "breaker.")
    target: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    offset: int = 0


def aware(moment: datetime | None) -> datetime | None:
    """A time without a zone is read as UTC (the columns refuse naive datetimes)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def search(session: Session, query: AuditQuery) -> list[AuditEntry]:
    return list(session.scalars(_filtered(select(AuditEntry), query)))


def _filtered(stmt: Select[tuple[AuditEntry]], q: AuditQuery) -> Select[tuple[AuditEntry]]:
    if q.actor:
        stmt = stmt.where(AuditEntry.actor == q.actor)
    if q.action:
        stmt = stmt.where(
            AuditEntry.action.startswith(q.action, autoescape=True)
            if q.action.endswith(".")
            else AuditEntry.action == q.action
        )
    if q.target:
        stmt = stmt.where(AuditEntry.target == q.target)
    if q.since:
        stmt = stmt.where(AuditEntry.created_at >= q.since)
    if q.until:
        stmt = stmt.where(AuditEntry.created_at < q.until)
    return stmt.order_by(AuditEntry.id.desc()).limit(q.limit).offset(q.offset)
