"""`/api/v1/breakers`: every circuit breaker's state, its history, and the manual reset and
force-open (each recorded in `breaker_events` with who and why)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storesync.breaker.resume import resume_shop
from storesync.breaker.schemas import (
    BreakerActionIn,
    BreakerEventOut,
    BreakerOut,
    RateOut,
    TransitionOut,
)
from storesync.db.engine import unit_of_work
from storesync.db.models import Shop
from storesync.deps import Db, JobsDep, ResilienceDep, SessionFactory
from storesync.resilience import events
from storesync.resilience.service import breaker_key, parse_key, require_known

router = APIRouter(prefix="/api/v1/breakers", tags=["circuit breakers"])

API_ACTOR = "api"  # until API keys name their holder


def _shops(db: Session) -> dict[str, Shop]:
    return {breaker_key(s.platform, s.id): s for s in db.scalars(select(Shop).order_by(Shop.id))}


def _known(db: Session, key: str) -> None:
    require_known(key, lambda shop_id: db.get(Shop, shop_id) is not None)


def _known_now(db: sessionmaker[Session], key: str) -> None:
    with unit_of_work(db) as session:
        _known(session, key)


@router.get("", response_model=list[BreakerOut], summary="Every breaker and its state")
def list_breakers(db: Db, resilience: ResilienceDep) -> list[BreakerOut]:
    shops = _shops(db)
    views = resilience.views(list(shops))
    return [
        BreakerOut.of(v, parse_key(v.key)[1], shops[v.key].name if v.key in shops else None)
        for v in views
    ]


@router.get("/{key}", response_model=BreakerOut, summary="One breaker, with its current rates")
def get_breaker(key: str, db: Db, resilience: ResilienceDep) -> BreakerOut:
    _known(db, key)
    _, shop_id = parse_key(key)
    shop = db.get(Shop, shop_id) if shop_id is not None else None
    rates = [RateOut(**r) for r in resilience.rates(key)]
    return BreakerOut.of(resilience.view(key), shop_id, shop.name if shop else None, rates)


# The actions take no request session: on SQLite a request transaction holds the write lock
# (BEGIN IMMEDIATE) until the response, and the transition is recorded in its own transaction.


@router.post("/{key}/reset", response_model=TransitionOut, summary="Close it now (by hand)")
def reset_breaker(
    key: str,
    body: BreakerActionIn,
    factory: SessionFactory,
    resilience: ResilienceDep,
    jobs: JobsDep,
) -> TransitionOut:
    _known_now(factory, key)
    transition = resilience.reset(key, body.actor or API_ACTOR, body.reason)
    _, shop_id = parse_key(key)
    if shop_id is not None:
        resume_shop(jobs, shop_id)
    return TransitionOut.of(transition)


@router.post("/{key}/open", response_model=TransitionOut, summary="Force it open (by hand)")
def open_breaker(
    key: str, body: BreakerActionIn, factory: SessionFactory, resilience: ResilienceDep
) -> TransitionOut:
    _known_now(factory, key)
    return TransitionOut.of(resilience.force_open(key, body.actor or API_ACTOR, body.reason))


@router.get(
    "/{key}/events", response_model=list[BreakerEventOut], summary="Transitions, newest first"
)
def breaker_events(
    key: str, db: Db, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[BreakerEventOut]:
    parse_key(key)
    return [BreakerEventOut.of(row) for row in events.history(db, key, limit)]
