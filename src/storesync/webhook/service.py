"""Webhook intake: verify, store raw, deduplicate by the platform's event id, answer fast.

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

from storesync.db.models import Shop, WebhookEvent
from storesync.domain.platform import Platform
from storesync.errors import AuthenticationError, ValidationError
from storesync.marketplaces.base import EventKind, MarketplaceClient
from storesync.marketplaces.base import WebhookEvent as ParsedEvent
from storesync.webhook import health

log = structlog.get_logger(__name__)

ORDER_KINDS = {EventKind.ORDER_STATUS, EventKind.ORDER_CANCELLATION, EventKind.ORDER_RETURN}


@dataclass(frozen=True)
class Received:
    event_row_id: int | None  # None: a duplicate we already hold, nothing to enqueue
    duplicate: bool
    shop_id: int | None = None  # whose batch job processes it


def receive(
    session: Session,
    client: MarketplaceClient,
    platform: Platform,
    raw_body: bytes,
    headers: Mapping[str, str],
    url: str,
) -> Received:
    body_text = raw_body.decode("utf-8", errors="replace")
    if not client.verify_webhook(raw_body=raw_body, headers=headers, url=url):
        # Kept as a record (who is sending us forged or misconfigured pushes?), never processed.
        health.record_rejected(session, client, platform, raw_body)
        session.add(
            WebhookEvent(
                platform=platform.value, event_id=None, status="rejected", body=body_text[:10_000]
            )
        )
        raise AuthenticationError("The webhook signature does not verify.")
    try:
        event = client.parse_webhook(raw_body)
    except ValidationError:
        session.add(
            WebhookEvent(
                platform=platform.value, event_id=None, status="rejected", body=body_text[:10_000]
            )
        )
        raise
    # Event row first, shop row second — the order the processing jobs' failure paths take them
    # in too. The other order deadlocked on PostgreSQL when a redelivery (waiting on the event's
    # unique key) met a failing processing run (waiting on the shop row) in a chaos run.
    received = store(session, platform, event, body_text)
    health.on_verified(session, platform, event)
    return received


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
