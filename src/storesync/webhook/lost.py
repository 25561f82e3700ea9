"""Shopee keeps pushes it could not deliver for 3 days (docs/platforms/shopee.md#lost-pushes):
each poll fetches them, stores them like live ones (deduplicated by event id), then confirms."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session, sessionmaker

from storesync.db.engine import unit_of_work
from storesync.domain.platform import Platform
from storesync.marketplaces.base import MarketplaceClient
from storesync.webhook.batching import request_batch_after_commit
from storesync.webhook.service import store
from storesync.worker.jobs import Jobs

MAX_PAGES = 10  # 100 per page; bounded so one shop cannot monopolise a worker


def fetch_lost_pushes(
    db: sessionmaker[Session],
    client: MarketplaceClient,
    jobs: Jobs,
    shop_id: int,
) -> int:
    """Store what the platform kept for us; the number of new events stored."""
    stored = 0
    for _ in range(MAX_PAGES):
        batch = client.fetch_lost_events()
        if not batch.events:
            break
        with unit_of_work(db) as session:
            for event in batch.events:
                received = store(session, Platform(client.platform), event, _json(event.raw))
                if received.event_row_id is not None:
                    stored += 1
                    request_batch_after_commit(session, jobs, shop_id)
        if batch.cursor:
            client.confirm_lost_events(batch.cursor)
        if not batch.has_more:
            break
    return stored


def _json(raw: object) -> str:
    return json.dumps(raw, separators=(",", ":"), default=str)
