"""Deliveries whose signature does not verify: counted, sampled, and otherwise ignored.

Anyone can POST to a webhook URL, so a forged delivery must cost almost nothing: no JSON parse,
no shop lookup, no shop's health touched (the body is unverified: the shop it names may be a
lie), and at most a short, masked sample kept to show who is knocking. The counter
`storesync_webhook_rejected_total` is the signal; the sample is only an illustration.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storesync.db.models import RejectedDelivery
from storesync.domain.platform import Platform
from storesync.observability.metrics import webhook_rejected_total
from storesync.observability.redact import redact_text

# Rows kept per platform. Enough to see a pattern (a few senders, a few shapes of body), small
# enough that a flood costs a bounded count query and no write once full: 200 samples of at most
# 1000 characters is ~200 kB per platform. Retention (retention/prune.py) empties it again.
SAMPLE_ROWS = 200
SAMPLE_CHARS = 1000  # RejectedDelivery.sample's width
REMOTE_CHARS = 64  # RejectedDelivery.remote's width

SIGNATURE = "signature"  # forged, unsigned or signed with another app's key
UNPARSEABLE = "unparseable"  # verified, but no event can be read from it (webhook/unparseable.py)


def record(session: Session, platform: Platform, raw_body: bytes, remote: str = "") -> bool:
    """Count a delivery that failed its signature check; keep a sample while there is room.

    True if a sample was kept. Concurrent deliveries may each see the last free slot, so the
    bound is SAMPLE_ROWS plus the requests in flight at that moment — still bounded.
    """
    webhook_rejected_total.labels(platform.value, SIGNATURE).inc()
    if _kept(session, platform) >= SAMPLE_ROWS:
        return False
    session.add(
        RejectedDelivery(
            platform=platform.value,
            reason=SIGNATURE,
            remote=remote[:REMOTE_CHARS],
            sample=sample_of(raw_body),
        )
    )
    return True


def _kept(session: Session, platform: Platform) -> int:
    # Counting through a LIMIT reads at most SAMPLE_ROWS rows, however many are there.
    kept = (
        select(RejectedDelivery.id)
        .where(RejectedDelivery.platform == platform.value)
        .limit(SAMPLE_ROWS)
        .subquery()
    )
    return int(session.scalar(select(func.count()).select_from(kept)) or 0)


def sample_of(raw_body: bytes, limit: int = SAMPLE_CHARS) -> str:
    """The start of a body as text a person can read and any database can store, secrets masked.

    Cut before masking (a megabyte body must not cost a megabyte regex pass) and again after
    (a mask can be longer than what it hides). NUL is dropped: PostgreSQL text cannot hold it.
    """
    text = raw_body[: limit * 4].decode("utf-8", errors="replace").replace("\x00", "")
    return redact_text(text[: limit * 2])[:limit]
