"""A verified delivery we cannot read: acknowledged, and parked as a dead letter for a person.

Answering 4xx or 5xx would make the platform retry the same body for hours (TikTok 12 h) and,
on Shopee, lower the success rate that keeps the subscription alive; the body will not parse any
better next time. So intake answers 200 and keeps the body, masked, as a VALIDATION_ERROR dead
letter of `webhook.receive`. Replaying it reads the body again with the code of the day: after
a parser fix it becomes a normal event; still unreadable, it becomes a new dead letter.
"""

from __future__ import annotations

import structlog
from sqlalchemy.orm import Session

from storesync.deadletter.service import DeadLetterService, Failure
from storesync.domain.platform import Platform
from storesync.errors import ErrorCode, ValidationError
from storesync.observability.context import correlation_id
from storesync.observability.metrics import dead_letters_total, webhook_rejected_total
from storesync.observability.redact import redact_text
from storesync.webhook.rejected import UNPARSEABLE

log = structlog.get_logger(__name__)

RECEIVE_TASK = "webhook.receive"
# Real pushes are a few kB; a verified body past this is kept cut (readable, not replayable)
# rather than putting a megabyte into one dead letter row.
BODY_CHARS = 65_536


def park(session: Session, platform: Platform, raw_body: bytes, error: ValidationError) -> int:
    """Keep the body as a dead letter; its id."""
    body, cut = kept_body(raw_body)
    kwargs: dict[str, object] = {"platform": platform.value, "body": body}
    if cut:
        kwargs["cut_at_chars"] = BODY_CHARS
    letter = DeadLetterService(session).record(
        Failure(
            task=RECEIVE_TASK,
            queue="default",
            kwargs=kwargs,
            error_code=ErrorCode.VALIDATION_ERROR.value,
            error_message=error.message,
            attempts=1,
            correlation_id=correlation_id.get(),
        )
    )
    webhook_rejected_total.labels(platform.value, UNPARSEABLE).inc()
    dead_letters_total.labels(RECEIVE_TASK, ErrorCode.VALIDATION_ERROR.value).inc()
    log.warning(
        "webhook_unparseable",
        platform=platform.value,
        dead_letter_id=letter.id,
        error=error.message,
        action="Read the body in the dead letter; replay it once the parser reads it.",
    )
    return letter.id


def kept_body(raw_body: bytes) -> tuple[str, bool]:
    """The body as text with secrets masked, and whether it had to be cut."""
    text = raw_body.decode("utf-8", errors="replace").replace("\x00", "")
    cut = len(text) > BODY_CHARS
    return redact_text(text[:BODY_CHARS]), cut
