"""Dead letters: jobs that exhausted their queue retries or failed for good, kept for a person.

The worker writes them in one place (`middleware.py`); the API and the CLI list, replay and
discard them through this service. Replay sends the same task with the same kwargs again: the
normal path, with its own retries and, should it fail again, a new dead letter.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storesync.db.base import utcnow
from storesync.db.models import DeadLetter, Shop, WebhookEvent
from storesync.errors import (
    ErrorCode,
    NetworkError,
    NotFoundError,
    StoreSyncError,
    SyncConflictError,
    ValidationError,
)
from storesync.observability.redact import redact_text
from storesync.worker.jobs import Jobs
from storesync.worker.registry import TASKS, current_name

log = structlog.get_logger(__name__)

STATUSES = ("dead", "replayed", "discarded")
MESSAGE_LIMIT = 1000  # the column's width; a traceback-sized message is cut, the logs keep it all


@dataclass(frozen=True)
class Failure:
    """What the worker knows about one message it gave up on."""

    task: str
    queue: str
    kwargs: Mapping[str, Any]
    error_code: str
    error_message: str
    attempts: int
    correlation_id: str | None


def describe_exception(exc: BaseException | None) -> tuple[str, str]:
    """(code, message) of a failure: the taxonomy's own, or INTERNAL_ERROR for anything else,
    because an exception outside the taxonomy is a bug (clients translate every vendor error)."""
    if isinstance(exc, StoreSyncError):
        return exc.code.value, exc.message[:MESSAGE_LIMIT]
    if exc is None:
        return ErrorCode.INTERNAL_ERROR.value, "The message failed without an exception."
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return ErrorCode.INTERNAL_ERROR.value, text[:MESSAGE_LIMIT]


@dataclass
class DeadLetterService:
    session: Session

    def record(self, failure: Failure) -> DeadLetter:
        row = DeadLetter(
            task=failure.task,
            queue=failure.queue,
            kwargs_json=json.dumps(dict(failure.kwargs), sort_keys=True, default=str),
            shop_id=self._shop_of(failure.kwargs),
            error_code=failure.error_code,
            # Messages may quote what a platform said; kwargs are job arguments (ids), kept
            # exact so the replay is the same call.
            error_message=redact_text(failure.error_message)[:MESSAGE_LIMIT],
            attempts=max(1, failure.attempts),
            correlation_id=failure.correlation_id,
            status="dead",
        )
        self.session.add(row)
        self.session.flush()
        return row

    def _shop_of(self, kwargs: Mapping[str, Any]) -> int | None:
        shop_id = kwargs.get("shop_id")
        if shop_id is None and isinstance(kwargs.get("event_row_id"), int):
            shop_id = self.session.scalar(
                select(WebhookEvent.shop_id).where(WebhookEvent.id == kwargs["event_row_id"])
            )
        # Checked, not trusted: a dangling id would fail the foreign key and lose the letter.
        if isinstance(shop_id, int) and self.session.get(Shop, shop_id) is not None:
            return shop_id
        return None

    def list(
        self,
        *,
        status: str | None = None,
        code: str | None = None,
        task: str | None = None,
        shop_id: int | None = None,
        limit: int = 100,
    ) -> list[DeadLetter]:
        query = select(DeadLetter).order_by(DeadLetter.id.desc()).limit(limit)
        if status is not None:
            query = query.where(DeadLetter.status == status)
        if code is not None:
            query = query.where(DeadLetter.error_code == code)
        if task is not None:
            query = query.where(DeadLetter.task == task)
        if shop_id is not None:
            query = query.where(DeadLetter.shop_id == shop_id)
        return list(self.session.scalars(query))

    def get(self, letter_id: int) -> DeadLetter:
        row = self.session.get(DeadLetter, letter_id)
        if row is None:
            raise NotFoundError(f"No dead letter {letter_id}.", details={"id": letter_id})
        return row

    def mark_replayed(self, letter_id: int, actor: str) -> DeadLetter:
        """Claim a dead letter for replay; the caller sends the job after the commit."""
        return self._resolve(letter_id, "replayed", actor, note="")

    def discard(self, letter_id: int, actor: str, reason: str = "") -> DeadLetter:
        return self._resolve(letter_id, "discarded", actor, note=reason)

    def _resolve(self, letter_id: int, status: str, actor: str, note: str) -> DeadLetter:
        # A conditional UPDATE, not read-then-write: two operators replaying at once (or a
        # double click) must not send the job twice, on SQLite and PostgreSQL alike.
        claimed = self.session.execute(
            update(DeadLetter)
            .where(DeadLetter.id == letter_id, DeadLetter.status == "dead")
            .values(status=status, resolved_by=actor[:100], resolved_at=utcnow(), note=note[:500])
            .execution_options(synchronize_session=False)
        )
        row = self.session.get(DeadLetter, letter_id, populate_existing=True)
        if row is None:
            raise NotFoundError(f"No dead letter {letter_id}.", details={"id": letter_id})
        if getattr(claimed, "rowcount", 0) != 1:
            raise SyncConflictError(
                f"Dead letter {letter_id} is already {row.status}"
                f" (by {row.resolved_by or 'unknown'}); only dead ones can be {status}.",
                details={"id": letter_id, "status": row.status},
            )
        return row


def kwargs_of(row: DeadLetter) -> dict[str, Any]:
    value = json.loads(row.kwargs_json or "{}")
    return value if isinstance(value, dict) else {}


def replay(session: Session, jobs: Jobs, letter_id: int, actor: str) -> DeadLetter:
    """Mark the letter replayed and send its task again with the same kwargs.

    Sent before the commit, on purpose: tasks are idempotent, so a commit that then fails costs
    at most one more run; sending after the commit could mark it replayed and lose the job.
    """
    service = DeadLetterService(session)
    letter = service.get(letter_id)
    task = current_name(letter.task)  # letters written before a rename still replay
    if task not in TASKS:
        raise ValidationError(
            f"Dead letter {letter_id} names a task this version no longer has; discard it.",
            details={"id": letter_id},
        )
    shop = session.get(Shop, letter.shop_id) if letter.shop_id is not None else None
    if shop is not None and shop.status != "active":
        # Its jobs skip a paused shop: the replay would "succeed" having done nothing.
        raise SyncConflictError(
            f"Shop {shop.id} is {shop.status} ({shop.paused_reason or 'no reason recorded'});"
            " reconnect it, then replay.",
            details={"id": letter_id, "shop_id": shop.id},
        )
    row = service.mark_replayed(letter_id, actor)
    try:
        jobs.send(task, **kwargs_of(row))
    except Exception as exc:
        raise NetworkError(
            "Could not enqueue the replay; the dead letter is unchanged.",
            details={"id": letter_id},
        ) from exc
    log.info(
        "dead_letter_replayed",
        dead_letter_id=letter_id,
        task=task,
        actor=actor,
        original_correlation_id=row.correlation_id,
    )
    return row
