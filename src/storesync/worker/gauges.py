"""Deployment-wide gauges read from the database: open dead letters, shops polling fast, grants
ending. The scheduler publishes them on every sweep (5 s); there is one per deployment (a thread
of `serve` on the embedded default, else `storesync scheduler`), so one process reports them.

The database is their truth: a gauge kept by each process from what it saw happen would differ
between workers (each sees some of the events) and start from zero after a restart. The other
processes leave them out of their scrapes instead of reporting a 0 they do not know.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storesync.db.models import DeadLetter, Shop
from storesync.observability import metrics

FAST = "fast"  # Shop.poll_mode while webhooks are quiet (webhook/health.py)


@dataclass(frozen=True)
class Reading:
    dead_letters_open: int
    shops_fast_polling: int
    # (platform, shop id) -> seconds until its sync stops for want of a grant
    expires_in_s: dict[tuple[str, str], float] = field(default_factory=dict)


def read(session: Session, now: datetime) -> Reading:
    dead = session.scalar(select(func.count()).where(DeadLetter.status == "dead")) or 0
    shops = session.execute(
        select(
            Shop.id,
            Shop.platform,
            Shop.poll_mode,
            Shop.authorization_expires_at,
            Shop.refresh_expires_at,
        ).where(Shop.status == "active")
    ).all()
    expires_in_s = {}
    for shop_id, platform, _, authorization_ends, refresh_ends in shops:
        # Whichever ends first stops the sync: the seller's grant, or a refresh token that
        # stopped being renewed (lifecycle.authorization_warning warns on the same two).
        known = [when for when in (authorization_ends, refresh_ends) if when is not None]
        if known:
            expires_in_s[(platform, str(shop_id))] = (min(known) - now).total_seconds()
    fast = sum(1 for _, _, poll_mode, _, _ in shops if poll_mode == FAST)
    return Reading(int(dead), fast, expires_in_s)


class DeploymentGauges(Collector):
    """The latest reading, swapped in whole: a scrape never sees half of one."""

    def __init__(self) -> None:
        self._latest: Reading | None = None
        self._lock = threading.Lock()

    @property
    def latest(self) -> Reading | None:
        return self._latest

    def publish(self, reading: Reading | None) -> None:
        """None withdraws the gauges (a test restoring what it found)."""
        with self._lock:
            self._latest = reading

    def describe(self) -> Iterator[Metric]:
        yield from _families()

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            latest = self._latest
        if latest is None:
            return  # not the scheduler's process, or its first sweep is still to come
        dead, fast, expires = _families()
        dead.add_metric([], latest.dead_letters_open)
        fast.add_metric([], latest.shops_fast_polling)
        for (platform, shop_id), seconds in sorted(latest.expires_in_s.items()):
            expires.add_metric([platform, shop_id], seconds)
        yield from (dead, fast, expires)


def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily]:
    return (
        GaugeMetricFamily(
            metrics.DEAD_LETTERS_OPEN,
            "Dead letters waiting for a person (status dead: neither replayed nor discarded).",
        ),
        GaugeMetricFamily(
            metrics.SHOPS_FAST_POLLING,
            "Active shops polling orders fast because their webhooks went quiet.",
        ),
        GaugeMetricFamily(
            metrics.AUTHORIZATION_EXPIRES_IN,
            "Seconds until an active shop's sync stops for want of a grant: the earlier of the "
            "seller's authorization end and the refresh token's expiry (negative: ended).",
            labels=["platform", "shop_id"],
        ),
    )


# One per process, registered with the registry like metrics.py's own objects.
GAUGES = DeploymentGauges()
metrics.REGISTRY.register(GAUGES)
