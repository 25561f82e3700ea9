"""Every breaker transition, automatic or by hand, becomes a `breaker_events` row (who and why),
a metric and a log line. Only the process whose state change made the transition sees it, so
each transition is recorded once however many processes share the breaker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storesync.db.engine import unit_of_work
from storesync.db.models import BreakerEvent, RateLimitReduction
from storesync.observability import metrics
from storesync.resilience.breaker import (
    BreakerPolicy,
    BreakerState,
    Recall,
    State,
    Transition,
    rebuilt,
)
from storesync.resilience.state import Doc

log = structlog.get_logger(__name__)


def history_recorder(session_factory: sessionmaker[Session]) -> Callable[[Transition], None]:
    def record(transition: Transition) -> None:
        with unit_of_work(session_factory) as session:
            session.add(
                BreakerEvent(
                    breaker=transition.key[:64],
                    from_state=transition.from_state.value,
                    to_state=transition.to_state.value,
                    reason=transition.reason[:500],
                    actor=transition.actor[:100],
                    created_at=datetime.fromtimestamp(transition.at, UTC),
                )
            )

    return record


def recorded_state(
    session_factory: sessionmaker[Session], policy: BreakerPolicy, clock: Callable[[], float]
) -> Recall:
    """The breaker's state after its last recorded transition: the truth Redis is rebuilt from."""

    def recall(key: str) -> BreakerState | None:
        with unit_of_work(session_factory) as session:
            row = session.scalar(
                select(BreakerEvent)
                .where(BreakerEvent.breaker == key)
                .order_by(BreakerEvent.id.desc())
                .limit(1)
            )
            if row is None:
                return None
            at = row.created_at.timestamp()
            return rebuilt(State(row.to_state), at, row.reason, row.actor, clock(), policy)

    return recall


def observe(transition: Transition) -> None:
    if transition.from_state is not transition.to_state:
        metrics.breaker_transitions_total.labels(
            transition.platform, transition.to_state.value
        ).inc()
    log.warning(
        "breaker_transition",
        breaker=transition.key,
        from_state=transition.from_state.value,
        to_state=transition.to_state.value,
        reason=transition.reason,
        actor=transition.actor,
    )


def history(session: Session, key: str, limit: int = 100) -> list[BreakerEvent]:
    return list(
        session.scalars(
            select(BreakerEvent)
            .where(BreakerEvent.breaker == key)
            .order_by(BreakerEvent.id.desc())
            .limit(limit)
        )
    )


# --- rate-limit reductions ------------------------------------------------------------------


def reduction_recorder(session_factory: sessionmaker[Session]) -> Callable[[str, str, Doc], None]:
    """Keep the latest reduction per shop and family: the truth after Redis loses its copy."""

    def record(scope: str, family: str, doc: Doc) -> None:
        at = datetime.fromtimestamp(float(doc["at"]), UTC)
        with unit_of_work(session_factory) as session:
            row = session.scalar(
                select(RateLimitReduction)
                .where(RateLimitReduction.scope == scope, RateLimitReduction.family == family)
                .with_for_update()
            )
            if row is None:
                session.add(
                    RateLimitReduction(scope=scope, family=family, factor=doc["factor"], at=at)
                )
            elif at >= row.at:
                row.factor, row.at = float(doc["factor"]), at

    return record


def recorded_reduction(session_factory: sessionmaker[Session]) -> Callable[[str, str], Doc | None]:
    def recall(scope: str, family: str) -> Doc | None:
        with unit_of_work(session_factory) as session:
            row = session.scalar(
                select(RateLimitReduction).where(
                    RateLimitReduction.scope == scope, RateLimitReduction.family == family
                )
            )
            return None if row is None else {"factor": row.factor, "at": row.at.timestamp()}

    return recall
