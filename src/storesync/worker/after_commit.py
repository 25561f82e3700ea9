"""Run side effects (enqueueing jobs) only after the transaction that justified them commits.

A job enqueued before its commit can run before the data it needs exists, or for data that then
rolls back. Services register callbacks on the session; the commit fires them, a rollback drops
them. Callbacks are deduplicated by key, which is also how bursts coalesce: a hundred stock
changes to one shop in one transaction enqueue one push.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy import event
from sqlalchemy.orm import Session

log = structlog.get_logger(__name__)
_KEY = "storesync_after_commit"


def after_commit(session: Session, key: str, callback: Callable[[], Any]) -> None:
    pending: dict[str, Callable[[], Any]] = session.info.setdefault(_KEY, {})
    pending.setdefault(key, callback)


@event.listens_for(Session, "after_commit")
def _run_pending(session: Session) -> None:
    pending: dict[str, Callable[[], Any]] = session.info.pop(_KEY, {})
    for key, callback in pending.items():
        try:
            callback()
        except Exception:
            # Events fail softly: the periodic sweep re-enqueues whatever this missed.
            log.exception("after_commit_failed", key=key)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_KEY, None)
