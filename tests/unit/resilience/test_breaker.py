"""Breaker transitions: closed → open (failure rate, minimum calls) → half-open (limited probes)
→ closed with a traffic ramp; what counts as a failure; manual reset and force-open."""

from __future__ import annotations

import pytest

from storesync.errors import (
    AuthenticationError,
    AuthorizationError,
    NetworkError,
    NetworkTimeoutError,
    NotFoundError,
    PlatformAPIError,
    PlatformRejectedError,
    RateLimitError,
    StoreSyncError,
    ValidationError,
)
from storesync.resilience.breaker import (
    BreakerPolicy,
    Breakers,
    Outcome,
    State,
    Transition,
    outcome_of,
)
from storesync.resilience.errors import BudgetExhaustedError, CircuitOpenError
from storesync.resilience.state import MemoryState
from tests.unit.resilience.fakes import FakeClock

KEY = "shopee:1"
POLICY = BreakerPolicy(min_calls=10, window_s=60, open_s=30, probes=3, ramp_step_s=10)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def seen() -> list[Transition]:
    return []


@pytest.fixture
def breakers(clock: FakeClock, seen: list[Transition]) -> Breakers:
    return Breakers(MemoryState(), POLICY, clock=clock, listeners=[seen.append])


def calls(breakers: Breakers, *outcomes: Outcome) -> None:
    for outcome in outcomes:
        admission = breakers.admit(KEY)
        assert admission.allowed
        breakers.record(KEY, admission, outcome)


def open_it(breakers: Breakers) -> None:
    calls(breakers, *[Outcome.FAILURE] * POLICY.min_calls)
    assert breakers.view(KEY).state is State.OPEN


S, F, IGN = Outcome.SUCCESS, Outcome.FAILURE, Outcome.IGNORED


@pytest.mark.parametrize(
    "error",
    [NetworkError(), NetworkTimeoutError(), PlatformAPIError("503"), RateLimitError()],
    ids=lambda e: type(e).__name__,
)
def test_timeouts_network_errors_5xx_and_429_count_as_failures(error: StoreSyncError) -> None:
    assert outcome_of(error) is F


@pytest.mark.parametrize(
    "error",
    [
        ValidationError(),
        NotFoundError(),
        AuthenticationError(),
        AuthorizationError(),
        PlatformRejectedError(),
        CircuitOpenError(),
        BudgetExhaustedError(),
        RuntimeError("a bug"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_errors_that_say_nothing_about_the_platform_are_ignored(error: Exception) -> None:
    assert outcome_of(error) is IGN


def test_below_the_minimum_number_of_calls_even_all_failures_keep_it_closed(
    breakers: Breakers,
) -> None:
    calls(breakers, *[F] * (POLICY.min_calls - 1))
    view = breakers.view(KEY)
    assert view.state is State.CLOSED
    assert view.failure_rate == 1.0
    calls(breakers, F)
    assert breakers.view(KEY).state is State.OPEN


def test_it_opens_at_a_fifty_percent_failure_rate_not_below(breakers: Breakers) -> None:
    calls(breakers, *[S] * 6, *[F] * 4)
    assert breakers.view(KEY).state is State.CLOSED  # 40 % over 10 calls
    calls(breakers, F, F)
    assert breakers.view(KEY).state is State.OPEN  # 6 of 12 = 50 %


def test_validation_errors_do_not_count_towards_opening(breakers: Breakers) -> None:
    calls(breakers, *[IGN] * 50, *[F] * 9)
    view = breakers.view(KEY)
    assert (view.state, view.calls_in_window, view.failure_rate) == (State.CLOSED, 9, 1.0)
    calls(breakers, F)
    assert breakers.view(KEY).state is State.OPEN


def test_failures_older_than_the_window_are_forgotten(breakers: Breakers, clock: FakeClock) -> None:
    calls(breakers, *[F] * 9)
    clock.advance(POLICY.window_s + POLICY.bucket_s)
    calls(breakers, F, S)
    view = breakers.view(KEY)
    assert view.state is State.CLOSED
    assert view.calls_in_window == 2


def test_an_open_breaker_refuses_with_the_remaining_cool_down(
    breakers: Breakers, clock: FakeClock
) -> None:
    open_it(breakers)
    clock.advance(10)
    admission = breakers.admit(KEY)
    assert not admission.allowed
    assert admission.retry_after == pytest.approx(20)
    assert breakers.view(KEY).next_probe_at == pytest.approx(clock.now + 20)


def test_closed_open_half_open_closed_with_limited_probes_and_a_ramp(
    breakers: Breakers, clock: FakeClock, seen: list[Transition]
) -> None:
    open_it(breakers)
    clock.advance(POLICY.open_s)
    probes = [breakers.admit(KEY) for _ in range(POLICY.probes)]
    assert all(p.allowed and p.probe for p in probes)
    assert breakers.view(KEY).state is State.HALF_OPEN
    extra = breakers.admit(KEY)
    assert not extra.allowed
    assert extra.retry_after == POLICY.half_open_retry_s
    for probe in probes:
        breakers.record(KEY, probe, S)
    view = breakers.view(KEY)
    assert view.state is State.CLOSED
    assert view.calls_in_window == 0
    assert [(t.from_state, t.to_state) for t in seen] == [
        (State.CLOSED, State.OPEN),
        (State.OPEN, State.HALF_OPEN),
        (State.HALF_OPEN, State.CLOSED),
    ]
    assert all(t.actor == "system" for t in seen)
    assert "failure rate 100%" in seen[0].reason
    ramp = []
    for _ in range(5):
        ramp.append(breakers.admit(KEY).ramp)
        clock.advance(POLICY.ramp_step_s)
    assert ramp == [0.1, 0.25, 0.5, 1.0, 1.0]


def test_a_failed_probe_opens_it_again_for_a_new_cool_down(
    breakers: Breakers, clock: FakeClock, seen: list[Transition]
) -> None:
    open_it(breakers)
    clock.advance(POLICY.open_s)
    probe = breakers.admit(KEY)
    breakers.record(KEY, probe, F)
    assert breakers.view(KEY).state is State.OPEN
    assert breakers.admit(KEY).retry_after == pytest.approx(POLICY.open_s)
    assert (seen[-1].from_state, seen[-1].to_state) == (State.HALF_OPEN, State.OPEN)


def test_a_probe_that_never_reports_frees_its_slot_after_the_probe_timeout(
    breakers: Breakers, clock: FakeClock
) -> None:
    open_it(breakers)
    clock.advance(POLICY.open_s)
    for _ in range(POLICY.probes):
        assert breakers.admit(KEY).allowed  # three workers killed mid-probe
    assert not breakers.admit(KEY).allowed
    clock.advance(POLICY.probe_timeout_s + 1)
    assert breakers.admit(KEY).probe


def test_late_reports_from_before_opening_do_not_change_an_open_breaker(
    breakers: Breakers,
) -> None:
    slow = breakers.admit(KEY)  # admitted while closed, answers after the breaker opened
    open_it(breakers)
    breakers.record(KEY, slow, S)
    assert breakers.view(KEY).state is State.OPEN


def test_force_open_refuses_until_a_person_resets_it_and_both_are_recorded(
    breakers: Breakers, clock: FakeClock, seen: list[Transition]
) -> None:
    breakers.force_open(KEY, actor="ana", reason="Shopee maintenance window")
    clock.advance(POLICY.open_s * 10)
    admission = breakers.admit(KEY)
    assert not admission.allowed
    assert admission.state is State.FORCED_OPEN
    view = breakers.view(KEY)
    assert (view.state, view.actor, view.reason) == (
        State.FORCED_OPEN,
        "ana",
        "Shopee maintenance window",
    )
    breakers.reset(KEY, actor="bo", reason="maintenance over")
    admission = breakers.admit(KEY)
    assert admission.allowed
    assert admission.ramp == 0.1
    assert [(t.from_state, t.to_state, t.actor, t.reason) for t in seen] == [
        (State.CLOSED, State.FORCED_OPEN, "ana", "Shopee maintenance window"),
        (State.FORCED_OPEN, State.CLOSED, "bo", "maintenance over"),
    ]


def test_a_manual_reset_closes_an_open_breaker_at_once(
    breakers: Breakers, seen: list[Transition]
) -> None:
    open_it(breakers)
    transition = breakers.reset(KEY, actor="ana", reason="platform confirmed healthy")
    assert (transition.from_state, transition.to_state) == (State.OPEN, State.CLOSED)
    assert breakers.admit(KEY).allowed
    assert breakers.view(KEY).calls_in_window == 0
    assert seen[-1].actor == "ana"


def test_breakers_of_different_shops_are_independent(breakers: Breakers) -> None:
    open_it(breakers)
    assert breakers.admit("shopee:2").allowed
    assert breakers.admit("tiktok:1").allowed
    assert {v.key: v.state for v in breakers.views()} == {KEY: State.OPEN}
