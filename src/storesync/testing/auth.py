"""API keys for tests, the demo and the proving ground: every `/api/v1` route needs one."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from storesync.auth import service
from storesync.auth.identity import Role
from storesync.db.engine import unit_of_work


def issue_key(db: sessionmaker[Session], role: Role = Role.ADMIN, name: str = "test") -> str:
    """A fresh key with `role`, committed, so a server on the same database accepts it."""
    with unit_of_work(db) as session:
        return service.create_api_key(session, name, role, created_by="system:harness").key


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
