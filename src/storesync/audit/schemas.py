"""The audit log as the API shows it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from storesync.db.models import AuditEntry


class AuditEntryOut(BaseModel):
    id: int
    actor: str
    action: str
    target: str
    before: Any
    after: Any
    correlation_id: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: AuditEntry) -> AuditEntryOut:
        return cls(
            id=row.id,
            actor=row.actor,
            action=row.action,
            target=row.target,
            before=json.loads(row.before_json) if row.before_json else None,
            after=json.loads(row.after_json) if row.after_json else None,
            correlation_id=row.correlation_id,
            created_at=row.created_at,
        )
