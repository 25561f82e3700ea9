"""The end of a shop's grant: what to tell the seller before sync stops for want of one.

The grant itself lasts 365 days on Shopee, whose push code 12 warns 7 days ahead; TikTok sends
UPCOMING_AUTHORIZATION_EXPIRATION from 30 days ahead, daily (docs/platforms/shopee.md#tokens,
docs/platforms/tiktok.md#tokens; our rules: docs/reliability.md#tokens). We keep the earliest end
date we heard of and warn once a day per process.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storesync.db.base import utcnow
from storesync.db.engine import unit_of_work
from storesync.db.models import Shop

log = structlog.get_logger(__name__)

WARN_EVERY = timedelta(hours=24)  # an expiring grant is logged once a day per process


def authorization_warning(
    authorization_expires_at: datetime | None,
    refresh_expires_at: datetime | None,
    now: datetime,
    window: timedelta,
) -> str | None:
    """What to tell the seller before sync stops for want of a grant, or None."""
    if authorization_expires_at is not None and authorization_expires_at - now <= window:
        return _ending("The shop's authorization", authorization_expires_at, now)
    if refresh_expires_at is not None and refresh_expires_at - now <= window:
        return _ending("The shop's refresh token", refresh_expires_at, now)
    return None


def _ending(what: str, when: datetime, now: datetime) -> str:
    day = when.date().isoformat()
    if when <= now:
        return f"{what} ended on {day}; reconnect the shop to resume sync."
    return f"{what} ends on {day}; reconnect the shop before then to keep it in sync."


def note_authorization_expiring(
    session: Session, shop_id: int, ends_at: datetime, source: str
) -> None:
    """A platform told us the grant ends at `ends_at`: keep the earliest date we heard of."""
    shop = session.get(Shop, shop_id)
    if shop is None:
        return
    if shop.authorization_expires_at is None or ends_at < shop.authorization_expires_at:
        shop.authorization_expires_at = ends_at
    log.warning(
        "authorization_expiring",
        shop_id=shop_id,
        platform=shop.platform,
        ends_at=ends_at.isoformat(),
        source=source,
        action="Reconnect the shop before then.",
    )


# When this process last warned about each shop: a memo of this process, like its locks.
_warned_at: dict[int, datetime] = {}


def warn_expiring_authorizations(
    db: sessionmaker[Session], window: timedelta, now: datetime | None = None
) -> list[int]:
    """Log a warning (at most daily per shop and process) for grants ending within `window`."""
    now = now or utcnow()
    warned = []
    with unit_of_work(db) as session:
        for shop in session.scalars(select(Shop).where(Shop.status == "active")):
            text = authorization_warning(
                shop.authorization_expires_at, shop.refresh_expires_at, now, window
            )
            last = _warned_at.get(shop.id)
            if text is None or (last is not None and now - last < WARN_EVERY):
                continue
            _warned_at[shop.id] = now
            warned.append(shop.id)
            log.warning(
                "authorization_expiring", shop_id=shop.id, platform=shop.platform, message=text
            )
    return warned
