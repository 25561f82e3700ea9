"""What `/api/v1/breakers` reads and writes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, BaseModel, Field

from storesync.db.models import BreakerEvent
from storesync.deps import MAX_ID, NoNul
from storesync.resilience.breaker import REFUSING, BreakerView, Transition


def _at(epoch: float | None) -> datetime | None:
    return None if not epoch else datetime.fromtimestamp(epoch, UTC)


def _shop_in_range(key: str) -> str:
    # The shop part becomes a database id (parse_key refuses anything else that is not "app").
    _, _, shop = key.partition(":")
    try:
        shop_id = int(shop)
    except ValueError:
        return key
    if not 1 <= shop_id <= MAX_ID:
        raise ValueError(f"the shop id must be between 1 and {MAX_ID}")
    return key


# breaker_events.breaker is 64 characters: a longer key names no breaker.
BreakerKey = Annotated[
    str,
    Path(min_length=3, max_length=64, description="<platform>:<shop id> or <platform>:app"),
    AfterValidator(_shop_in_range),
]


class RateOut(BaseModel):
    family: str
    budget_per_s: float
    factor: float = Field(description="adaptive share of the budget (drops on 429)")
    rate_per_s: float = Field(description="budget x factor x ramp, what calls get now")


class BreakerOut(BaseModel):
    key: str = Field(description="<platform>:<shop id>, or <platform>:app for app-level calls")
    platform: str
    shop_id: int | None
    shop_name: str | None = None
    state: str = Field(description="closed | open | half_open | forced_open")
    since: datetime | None
    opened_at: datetime | None
    next_probe_at: datetime | None
    failure_rate: float
    calls_in_window: int
    failures_in_window: int
    ramp_percent: int = Field(description="share of the rate budget while traffic ramps back")
    reason: str
    actor: str
    rates: list[RateOut] | None = None

    @classmethod
    def of(
        cls,
        view: BreakerView,
        shop_id: int | None,
        shop_name: str | None = None,
        rates: list[RateOut] | None = None,
    ) -> BreakerOut:
        return cls(
            key=view.key,
            platform=view.key.split(":", 1)[0],
            shop_id=shop_id,
            shop_name=shop_name,
            state=view.state.value,
            since=_at(view.since),
            opened_at=_at(view.since) if view.state in REFUSING else None,
            next_probe_at=_at(view.next_probe_at),
            failure_rate=view.failure_rate,
            calls_in_window=view.calls_in_window,
            failures_in_window=view.failures_in_window,
            ramp_percent=view.ramp_percent,
            reason=view.reason,
            actor=view.actor,
            rates=rates,
        )


class BreakerActionIn(BaseModel):
    reason: Annotated[str, NoNul] = Field(
        min_length=1, max_length=500, description="why, for the history"
    )


class TransitionOut(BaseModel):
    key: str
    from_state: str
    to_state: str
    reason: str
    actor: str
    at: datetime

    @classmethod
    def of(cls, t: Transition) -> TransitionOut:
        at = _at(t.at)
        assert at is not None
        return cls(
            key=t.key,
            from_state=t.from_state.value,
            to_state=t.to_state.value,
            reason=t.reason,
            actor=t.actor,
            at=at,
        )


class BreakerEventOut(BaseModel):
    id: int
    breaker: str
    from_state: str
    to_state: str
    reason: str
    actor: str
    created_at: datetime

    @classmethod
    def of(cls, row: BreakerEvent) -> BreakerEventOut:
        return cls(
            id=row.id,
            breaker=row.breaker,
            from_state=row.from_state,
            to_state=row.to_state,
            reason=row.reason,
            actor=row.actor,
            created_at=row.created_at,
        )
