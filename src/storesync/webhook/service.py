"""Webhook intake: verify, store raw, deduplicate by the platform's event id, answer fast.

A forged delivery is counted and sampled (rejected.py); a verified one we cannot read is parked
as a dead letter and acknowledged (unparseable.py); neither becomes an event row.

Processing happens later, in the shop's batch job (`webhook.process_batch`): acknowledging first
matters because Shopee disables subscriptions whose success rate drops, and missed pushes are then
gone for good.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storesync.db.base import utcnow
from storesync.db.models import Shop, WebhookEvent
from storesync.domain.platform import Platform
from storesync.errors import ValidationError
from storesync.marketplaces.base import EventKind, MarketplaceClient
from storesync.marketplaces.base import WebhookEvent as ParsedEvent
from storesync.observability.metrics import webhook_lag_seconds
from storesync.webhook import health, rejected, unparseable

log = structlog.get_logger(__name__)

ORDER_KINDS = {EventKind.ORDER_STATUS, EventKind.ORDER_CANCELLATION, EventKind.ORDER_RETURN}


@dataclass(frozen=True)
class Received:
    event_row_id: int | None  # None: nothing to enqueue (a duplicate, ignored, rejected, parked)
    duplicate: bool
    shop_id: int | None = None  # whose batch job processes it
    rejected: bool = False  # the signature failed: answer 401
    parked: bool = False  # verified but unreadable: acknowledged, kept as a dead letter


def receive(
    session: Session,
    client: MarketplaceClient,
    platform: Platform,
    raw_body: bytes,
    headers: Mapping[str, str],
    url: str,
    remote: str = "",
) -> Received:
    # The signature first, on the raw bytes: a forged delivery is never decoded or parsed.
    if not client.verify_webhook(raw_body=raw_body, headers=headers, url=url):
        rejected.record(session, platform, raw_body, remote)
        return Received(None, False, rejected=True)
    return receive_verified(session, client, platform, raw_body)


def receive_verified(
    session: Session, client: MarketplaceClient, platform: Platform, raw_body: bytes
) -> Received:
    """Store a body whose signature held (now, or when it was parked), once per event id."""
    try:
        event = client.parse_webhook(raw_body)
    except ValidationError as exc:
        unparseable.park(session, platform, raw_body, exc)
        return Received(None, False, parked=True)
    # Event row first, shop row second — the order the processing jobs' failure paths take them
    # in too. The other order deadlocked on PostgreSQL when a redelivery (waiting on the event's
    # unique key) met a failing processing run (waiting on the shop row) in a chaos run.
    received = store(session, platform, event, raw_body.decode("utf-8", errors="replace"))
    if not received.duplicate:
        # Only news moves health: a replayed push (same event id) must not mark a shop whose
        # webhooks have stopped as healthy again.
        health.on_verified(session, platform, event)
        _observe_lag(platform, event)
    return received


def _observe_lag(platform: Platform, event: ParsedEvent) -> None:
    # First deliveries only: a redelivery's age says how long the platform retried, not how
    # late news reaches us. A stamp ahead of our clock (skew) counts as no lag.
    if event.occurred_at is not None:
        lag_s = (utcnow() - event.occurred_at).total_seconds()
        webhook_lag_seconds.labels(platform.value).observe(max(0.0, lag_s))


def store(session: Session, platform: Platform, event: ParsedEvent, body: str) -> Received:
    """Insert once per (platform, event id); a redelivery finds the row and changes nothing."""
    shop_id = None
    if event.external_shop_id:
        shop_id = session.scalar(
            select(Shop.id).where(
                Shop.platform == platform.value, Shop.external_id == event.external_shop_id
            )
        )
    row = WebhookEvent(
        platform=platform.value,
        event_id=event.event_id,
        shop_id=shop_id,
        kind=event.kind.value,
        status="received" if event.kind in ORDER_KINDS and shop_id else "ignored",
        body=body,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return Received(None, True)
    if row.status == "ignored":
        log.info("webhook_ignored", kind=event.kind.value, shop=event.external_shop_id)
        return Received(None, False)
    return Received(row.id, False, shop_id)
