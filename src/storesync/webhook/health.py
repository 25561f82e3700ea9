"""Per-shop webhook health, and fast polling while a shop's webhooks are quiet.

Webhooks can stop without anything failing on our side: Shopee disables a subscription whose
success rate falls under 30 % over 6 h, TikTok drops a push after its last retry (12 h). Polling
sees what they miss: when a poll creates or moves orders while no verified webhook has arrived for
`webhook_quiet_s` (2 min), the shop switches to fast polling (`fast_poll_interval_s`, 10 s) until
a verified webhook arrives again. The quiet condition keeps the ordinary race (a poll importing an
order whose webhook is still in the queue) from flipping the mode.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from storesync.db.base import utcnow
from storesync.db.engine import unit_of_work
from storesync.db.models import Shop
from storesync.domain.platform import Platform
from storesync.marketplaces.base import EventKind, WebhookEvent
from storesync.observability.metrics import poll_mode_changes_total
from storesync.shop.clock import note_platform_time
from storesync.shop.lifecycle import note_authorization_expiring

log = structlog.get_logger(__name__)

NORMAL, FAST = "normal", "fast"
# How far ahead each platform announces the end of a grant when the push names no date.
EXPIRY_NOTICE = {Platform.SHOPEE: timedelta(days=7), Platform.TIKTOK: timedelta(days=30)}
_EXPIRY_KEYS = ("expire_before", "expire_time", "expiration_time", "expire_at")
LATEST_STAMP_S = 4_102_444_800  # 2100-01-01, as marketplaces/webhook_fields.py
MAX_CLOCK_SAMPLE = timedelta(days=7)
MAX_LISTED_SHOPS = 1000  # one push naming more shops than any partner has is not a real one


def should_poll_fast(
    changed_by_poll: int, last_webhook_at: datetime | None, now: datetime, quiet_after: timedelta
) -> bool:
    """Orders changed that webhooks did not bring, and webhooks have been quiet meanwhile."""
    if changed_by_poll <= 0:
        return False
    return last_webhook_at is None or now - last_webhook_at >= quiet_after


def changed_by_poll(counts: Mapping[str, int]) -> int:
    return counts.get("created", 0) + counts.get("updated", 0)


# --- intake side -----------------------------------------------------------------------------


def shop_id_for(session: Session, platform: Platform, external_shop_id: str | None) -> int | None:
    if not external_shop_id:
        return None
    return session.scalar(
        select(Shop.id).where(Shop.platform == platform.value, Shop.external_id == external_shop_id)
    )


def record_verified(session: Session, shop_id: int, now: datetime | None = None) -> None:
    """A verified webhook arrived: webhooks work; back to normal polling if we were fast."""
    shop = session.get(Shop, shop_id)
    if shop is None:
        return
    shop.last_webhook_at = now or utcnow()
    shop.webhook_failures = 0
    if shop.poll_mode != NORMAL:
        shop.poll_mode = NORMAL
        poll_mode_changes_total.labels(NORMAL).inc()
        log.info("webhooks_back_normal_polling", shop_id=shop_id, platform=shop.platform)


def record_failure(session: Session, shop_id: int | None, why: str) -> None:
    if shop_id is None:
        return
    session.execute(
        update(Shop)
        .where(Shop.id == shop_id)
        .values(webhook_failures=Shop.webhook_failures + 1)
        .execution_options(synchronize_session=False)
    )
    log.info("webhook_failure", shop_id=shop_id, why=why)


def on_verified(session: Session, platform: Platform, event: WebhookEvent) -> None:
    """Everything a verified webhook tells us about its shop's health and grant."""
    now = utcnow()
    shop_id = shop_id_for(session, platform, event.external_shop_id)
    if shop_id is not None:
        record_verified(session, shop_id, now)
        shop = session.get(Shop, shop_id)
        stamp = event.occurred_at
        if shop is not None and stamp is not None and _plausible_stamp(stamp, now):
            note_platform_time(shop, stamp, now)
    if event.kind is EventKind.AUTH_EXPIRING:
        _note_expiring(session, platform, event, shop_id, now)


def _note_expiring(
    session: Session, platform: Platform, event: WebhookEvent, shop_id: int | None, now: datetime
) -> None:
    data = event.raw.get("data")
    data = data if isinstance(data, Mapping) else {}
    ends_at = _expiry_in(data) or now + EXPIRY_NOTICE[platform]
    shop_ids = {shop_id} if shop_id is not None else set()
    # Shopee's code 12 is sent to the partner and lists the shops in its data.
    for external in _listed_shops(data.get("shop_expire_soon")):
        found = shop_id_for(session, platform, external)
        if found is not None:
            shop_ids.add(found)
    for found in sorted(shop_ids):
        note_authorization_expiring(session, found, ends_at, source=f"{platform.value} webhook")


def _listed_shops(listed: object) -> list[str]:
    """The shop ids a push lists, as lookups can take them: a list of short ids, nothing odd
    (a verified body may still hold a number, a dict or a NUL where a list belongs)."""
    if not isinstance(listed, list):
        return []
    ids = [str(i) if isinstance(i, int) and not isinstance(i, bool) else i for i in listed]
    return [i for i in ids[:MAX_LISTED_SHOPS] if isinstance(i, str) and _usable_id(i)]


def _usable_id(value: str) -> bool:
    return 0 < len(value) <= 64 and value.isprintable()  # Shop.external_id is 64 wide


def _expiry_in(data: Mapping[str, Any]) -> datetime | None:
    """The announced end of the grant, when the push names a usable one (else the notice
    period applies): 1e20 seconds is no date, and must not fail the push."""
    for key in _EXPIRY_KEYS:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if 0 < value <= LATEST_STAMP_S:  # NaN and infinity fail it too
            return datetime.fromtimestamp(value, tz=UTC)
    return None


def _plausible_stamp(occurred_at: datetime, now: datetime) -> bool:
    """Whether an event's stamp can be a clock sample. The offset is kept in a 32-bit column of
    milliseconds (±24.8 days); a stamp a week off is a wrong stamp or a very late delivery, not a
    platform clock, and using it would fail the write (PostgreSQL) or skew every decision."""
    return abs(occurred_at - now) <= MAX_CLOCK_SAMPLE


# --- polling side ----------------------------------------------------------------------------


def after_poll(
    factory: sessionmaker[Session],
    shop_id: int,
    counts: Mapping[str, int],
    quiet_after: timedelta,
    now: datetime | None = None,
) -> bool:
    """Switch the shop to fast polling if this poll found what webhooks should have brought."""
    now = now or utcnow()
    changed = changed_by_poll(counts)
    with unit_of_work(factory) as session:
        shop = session.get(Shop, shop_id)
        if shop is None or shop.poll_mode == FAST:
            return False
        if not should_poll_fast(changed, shop.last_webhook_at, now, quiet_after):
            return False
        shop.poll_mode = FAST
        platform, last = shop.platform, shop.last_webhook_at
    poll_mode_changes_total.labels(FAST).inc()
    log.warning(
        "webhooks_quiet_fast_polling",
        shop_id=shop_id,
        platform=platform,
        changed_by_poll=changed,
        last_webhook_at=last.isoformat() if last else None,
        action="Check the shop's webhook subscription on the platform.",
    )
    return True


# --- visibility --------------------------------------------------------------------------------


def health_component(factory: sessionmaker[Session]) -> dict[str, Any]:
    """For `/api/health`: which active shops poll fast (webhooks quiet) or see webhook failures."""
    try:
        with unit_of_work(factory) as session:
            rows = list(
                session.execute(
                    select(Shop.id, Shop.poll_mode, Shop.webhook_failures).where(
                        Shop.status == "active"
                    )
                )
            )
    except Exception as exc:
        return {"status": "down", "error": type(exc).__name__}
    fast = [shop_id for shop_id, mode, _ in rows if mode == FAST]
    failing = {str(shop_id): n for shop_id, _, n in rows if n}
    return {
        "status": "degraded" if fast else "ok",
        "fast_polling_shops": fast,
        "failures_by_shop": failing,
    }
