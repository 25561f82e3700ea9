"""`/api/v1/breakers`: every circuit breaker's state, its history, and the manual reset and
force-open (each recorded in `breaker_events` with who and why)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storesync.audit import service as audit
from storesync.auth.identity import Identity
from storesync.auth.policy import OPERATOR, VIEWER, Actor
from storesync.breaker.resume import resume_shop
from storesync.breaker.schemas import (
    BreakerActionIn,
    BreakerEventOut,
    BreakerKey,
    BreakerOut,
    RateOut,
    TransitionOut,
)
from storesync.db.engine import unit_of_work
from storesync.db.models import BreakerEvent, Shop
from storesync.deps import (
    DEFAULT_PAGE_SIZE,
    Db,
    JobsDep,
    Limit,
    Offset,
    ResilienceDep,
    SessionFactory,
)
from storesync.resilience.breaker import Transition
from storesync.resilience.service import breaker_key, parse_key, require_known

router = APIRouter(prefix="/api/v1/breakers", tags=["circuit breakers"])


def _shops(db: Session) -> dict[str, Shop]:
    return {breaker_key(s.platform, s.id): s for s in db.scalars(select(Shop).order_by(Shop.id))}


def _known(db: Session, key: str) -> None:
    require_known(key, lambda shop_id: db.get(Shop, shop_id) is not None)


def _known_now(db: sessionmaker[Session], key: str) -> None:
    with unit_of_work(db) as session:
        _known(session, key)


@router.get(
    "",
    response_model=list[BreakerOut],
    summary="Every breaker and its state",
    dependencies=[VIEWER],
)
def list_breakers(
    db: Db, resilience: ResilienceDep, limit: Limit = DEFAULT_PAGE_SIZE, offset: Offset = 0
) -> list[BreakerOut]:
    shops = _shops(db)
    views = resilience.views(list(shops))[offset : offset + limit]
    return [
        BreakerOut.of(v, parse_key(v.key)[1], shops[v.key].name if v.key in shops else None)
        for v in views
    ]


@router.get(
    "/{key}",
    response_model=BreakerOut,
    summary="One breaker, with its current rates",
    dependencies=[VIEWER],
)
def get_breaker(key: BreakerKey, db: Db, resilience: ResilienceDep) -> BreakerOut:
    _known(db, key)
    _, shop_id = parse_key(key)
    shop = db.get(Shop, shop_id) if shop_id is not None else None
    rates = [RateOut(**r) for r in resilience.rates(key)]
    return BreakerOut.of(resilience.view(key), shop_id, shop.name if shop else None, rates)


# The actions take no request session: on SQLite a request transaction holds the write lock
# (BEGIN IMMEDIATE) until the response, and the transition is recorded in its own transaction.


@router.post(
    "/{key}/reset",
    response_model=TransitionOut,
    summary="Close it now (by hand)",
    dependencies=[OPERATOR],
)
def reset_breaker(
    key: BreakerKey,
    body: BreakerActionIn,
    who: Actor,
    factory: SessionFactory,
    resilience: ResilienceDep,
    jobs: JobsDep,
) -> TransitionOut:
    _known_now(factory, key)
    transition = resilience.reset(key, who.actor, body.reason)
    _audit(factory, who, "breaker.reset", transition)
    _, shop_id = parse_key(key)
    if shop_id is not None:
        resume_shop(jobs, shop_id)
    return TransitionOut.of(transition)


@router.post(
    "/{key}/open",
    response_model=TransitionOut,
    summary="Force it open (by hand)",
    dependencies=[OPERATOR],
)
def open_breaker(
    key: BreakerKey,
    body: BreakerActionIn,
    who: Actor,
    factory: SessionFactory,
    resilience: ResilienceDep,
) -> TransitionOut:
    _known_now(factory, key)
    transition = resilience.force_open(key, who.actor, body.reason)
    _audit(factory, who, "breaker.open", transition)
    return TransitionOut.of(transition)


def _audit(factory: sessionmaker[Session], who: Identity, action: str, t: Transition) -> None:
    with unit_of_work(factory) as session:
        audit.record(
            session,
            who,
            action,
            t.key,
            before={"state": str(t.from_state)},
            after={"state": str(t.to_state), "reason": t.reason},
        )


@router.get(
    "/{key}/events",
    response_model=list[BreakerEventOut],
    summary="Transitions, newest first",
    dependencies=[VIEWER],
)
def breaker_events(
    key: BreakerKey, db: Db, limit: Limit = DEFAULT_PAGE_SIZE, offset: Offset = 0
) -> list[BreakerEventOut]:
    parse_key(key)
    rows = db.scalars(
        select(BreakerEvent)
        .where(BreakerEvent.breaker == key)
        .order_by(BreakerEvent.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [BreakerEventOut.of(row) for row in rows]
