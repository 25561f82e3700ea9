"""The one place the worker turns a message it gives up on into a dead letter.

Dramatiq's Retries middleware decides (by `retry_when`, i.e. the error's `.retryable`, and the
task's bound) and marks the message failed; the worker then nacks it. `after_nack` therefore sees
exactly the messages that are done for good: retries exhausted, non-retryable errors, and
exceptions outside the taxonomy (bugs, kept as INTERNAL_ERROR). The hook runs after the order of
the other middleware no longer matters, and the exception is still on the message then.

Writing the letter must never take the worker down: a failed write is logged with everything the
row would have held (the log line is then the record) and the worker carries on.
"""

from __future__ import annotations

from typing import Any

import dramatiq
import structlog
from dramatiq.common import q_name
from sqlalchemy.orm import Session, sessionmaker

from storesync.db.engine import unit_of_work
from storesync.deadletter.service import DeadLetterService, Failure, describe_exception
from storesync.observability.metrics import dead_letters_total
from storesync.worker.registry import TASKS

log = structlog.get_logger("storesync.deadletter")


def failure_of(message: Any, exception: BaseException | None) -> Failure:
    code, text = describe_exception(exception)
    return Failure(
        task=message.actor_name,
        queue=q_name(message.queue_name),
        kwargs=dict(message.kwargs or {}),
        error_code=code,
        error_message=text,
        # Retries counts runs so far (it is bumped before the give-up decision).
        attempts=int(message.options.get("retries", 0) or 0),
        correlation_id=message.options.get("correlation_id"),
    )


def keeps_dead_letters(task: str) -> bool:
    spec = TASKS.get(task)
    return spec is None or spec.dead_letter


class DeadLetterMiddleware(dramatiq.Middleware):
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def after_nack(self, broker: Any, message: Any) -> None:
        failure = failure_of(message, getattr(message, "_exception", None))
        dead_letters_total.labels(failure.task, failure.error_code).inc()
        if not keeps_dead_letters(failure.task):
            # Periodic work the scheduler sends again anyway (sweeps, scans): count, don't keep.
            log.warning("job_given_up", task=failure.task, code=failure.error_code)
            return
        self.keep(failure)

    def keep(self, failure: Failure) -> int | None:
        fields = {
            "task": failure.task,
            "code": failure.error_code,
            "attempts": failure.attempts,
            "kwargs": dict(failure.kwargs),
            "correlation_id": failure.correlation_id,
        }
        try:
            with unit_of_work(self.session_factory) as session:
                row = DeadLetterService(session).record(failure)
                session.flush()
                letter_id = row.id
        except Exception:
            log.exception("dead_letter_write_failed", error=failure.error_message, **fields)
            return None
        log.error("dead_letter", dead_letter_id=letter_id, error=failure.error_message, **fields)
        return letter_id
