"""Breakers shared through real Redis: two instances stand for two processes (two workers, or a
worker and the API). One opens the breaker, the other refuses; probes are limited across both;
every transition is recorded once, with who and why, in `breaker_events`."""

from __future__ import annotations

import pytest
import redis
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from storesync.db.engine import make_session_factory, unit_of_work
from storesync.db.models import BreakerEvent
from storesync.resilience.breaker import BreakerPolicy, Breakers, Outcome, State, Transition
from storesync.resilience.events import history_recorder
from storesync.resilience.state import RedisState
from tests.unit.resilience.fakes import FakeClock

pytestmark = pytest.mark.redis

KEY = "shopee:42"
POLICY = BreakerPolicy(min_calls=4, open_s=30, probes=3)


def process(redis_url: str, namespace: str, clock: FakeClock, seen: list[Transition]) -> Breakers:
    """One process's view: its own connection, the shared keys."""
    connection = redis.Redis.from_url(redis_url, socket_timeout=1)
    return Breakers(RedisState(connection, namespace), POLICY, clock=clock, listeners=[seen.append])


def test_one_process_opens_the_breaker_and_the_other_refuses_calls(
    redis_url: str, namespace: str
) -> None:
    clock, seen = FakeClock(), list[Transition]()
    worker_a = process(redis_url, namespace, clock, seen)
    worker_b = process(redis_url, namespace, clock, seen)
    for _ in range(POLICY.min_calls):
        admission = worker_a.admit(KEY)
        worker_a.record(KEY, admission, Outcome.FAILURE)
    refused = worker_b.admit(KEY)
    assert not refused.allowed
    assert refused.state is State.OPEN
    assert refused.retry_after == pytest.approx(POLICY.open_s)
    assert worker_b.view(KEY).state is State.OPEN
    assert [(t.from_state, t.to_state) for t in seen] == [(State.CLOSED, State.OPEN)]


def test_failures_from_both_processes_add_up_in_one_window(redis_url: str, namespace: str) -> None:
    clock, seen = FakeClock(), list[Transition]()
    a, b = (process(redis_url, namespace, clock, seen) for _ in range(2))
    for breakers in (a, b, a):
        breakers.record(KEY, breakers.admit(KEY), Outcome.FAILURE)
    assert a.view(KEY).state is State.CLOSED  # 3 calls: under the minimum of 4
    b.record(KEY, b.admit(KEY), Outcome.FAILURE)
    assert a.view(KEY).state is State.OPEN


def test_half_open_admits_the_probe_budget_across_processes_then_closes(
    redis_url: str, namespace: str
) -> None:
    clock, seen = FakeClock(), list[Transition]()
    a, b = (process(redis_url, namespace, clock, seen) for _ in range(2))
    a.force_open(KEY, actor="ops", reason="drill")
    a.reset(KEY, actor="ops", reason="drill over")
    for _ in range(POLICY.min_calls):
        a.record(KEY, a.admit(KEY), Outcome.FAILURE)
    clock.advance(POLICY.open_s)
    probes = [a.admit(KEY), b.admit(KEY), a.admit(KEY)]
    assert all(p.allowed and p.probe for p in probes)
    assert not b.admit(KEY).allowed  # the fourth caller waits, whichever process it is in
    for owner, probe in zip((a, b, a), probes, strict=True):
        owner.record(KEY, probe, Outcome.SUCCESS)
    assert b.view(KEY).state is State.CLOSED
    assert b.admit(KEY).ramp == 0.1
    assert [(t.to_state, t.actor) for t in seen] == [
        (State.FORCED_OPEN, "ops"),
        (State.CLOSED, "ops"),
        (State.OPEN, "system"),
        (State.HALF_OPEN, "system"),
        (State.CLOSED, "system"),
    ]


def test_a_reset_in_one_process_lets_the_other_call_at_once(redis_url: str, namespace: str) -> None:
    clock, seen = FakeClock(), list[Transition]()
    api, worker = (process(redis_url, namespace, clock, seen) for _ in range(2))
    api.force_open(KEY, actor="ana", reason="platform incident")
    assert not worker.admit(KEY).allowed
    api.reset(KEY, actor="ana", reason="platform recovered")
    assert worker.admit(KEY).allowed


def test_transitions_are_recorded_with_actor_and_reason(engine: Engine) -> None:
    factory: sessionmaker[Session] = make_session_factory(engine)
    from storesync.resilience.state import MemoryState

    breakers = Breakers(
        MemoryState(), POLICY, clock=FakeClock(), listeners=[history_recorder(factory)]
    )
    breakers.force_open(KEY, actor="ana", reason="Shopee maintenance 02:00-03:00")
    breakers.reset(KEY, actor="bo", reason="maintenance over")
    for _ in range(POLICY.min_calls):
        breakers.record(KEY, breakers.admit(KEY), Outcome.FAILURE)
    with unit_of_work(factory) as session:
        rows = [
            (e.breaker, e.from_state, e.to_state, e.actor, e.reason)
            for e in session.scalars(select(BreakerEvent).order_by(BreakerEvent.id))
        ]
    assert rows[:2] == [
        (KEY, "closed", "forced_open", "ana", "Shopee maintenance 02:00-03:00"),
        (KEY, "forced_open", "closed", "bo", "maintenance over"),
    ]
    assert rows[2][1:4] == ("closed", "open", "system")
    assert "failure rate 100%" in rows[2][4]
