"""Circuit breakers per platform and shop (key "shopee:12"; "shopee:app" for app-level calls).

States (Resilience4j's; policy in docs/reliability.md#circuit-breakers, departures in
docs/reliability.md#differences-from-the-anchors):

  closed ──failure rate ≥ 50 % over the window, with ≥ min_calls──▶ open
  open ──cool-down passed (the next call is the first probe)──▶ half_open
  half_open ──`probes` probes succeeded──▶ closed (traffic ramps 10 → 25 → 50 → 100 %)
  half_open ──a probe failed──▶ open (a new cool-down)
  any ──force-open by a person──▶ forced_open (no probes until a person resets it)
  any ──reset by a person──▶ closed (with the ramp)

Failures are what says "the platform is unwell": network errors and timeouts, retryable platform
errors (5xx, unreadable answers) and 429s. Validation, not-found, authentication, authorization
and business refusals say nothing about its health and are ignored (neither success nor
failure). The window is time-based, split into buckets, so it costs a few numbers per breaker.

The transition functions here are pure (state, now, policy) → (new state, result); `Breakers`
runs them against the shared state and tells listeners about every transition.

One breaker per key across every process: the state lives in Redis when scaled out and every
call's admission reads it, so an opening seen by one worker refuses the next call of all others.
Redis is the fast path, the database's transition record (`breaker_events`) the truth: when a
breaker's state is missing from Redis (restarted, flushed) it is rebuilt from its last recorded
transition before the call is admitted, and while Redis does not answer at all the recorded state
still refuses calls to a breaker that is open (`recall`, cached for a second per process).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import structlog

from storesync.errors import NetworkError, PlatformAPIError, RateLimitError
from storesync.resilience.errors import BudgetExhaustedError, CircuitOpenError
from storesync.resilience.state import Doc, SharedState, StateUnavailableError

log = structlog.get_logger(__name__)


class State(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"
    FORCED_OPEN = "forced_open"


REFUSING = frozenset({State.OPEN, State.FORCED_OPEN})
# A breaker nobody used for a week is closed by any measure; a forced-open one never expires.
IDLE_TTL_S = 7 * 24 * 3600
RECALL_CACHE_S = 1.0  # while Redis is down, the recorded state is read once a second per key


class Outcome(enum.Enum):
    SUCCESS = "success"
    FAILURE = "failure"
    IGNORED = "ignored"


def outcome_of(error: BaseException | None) -> Outcome:
    if error is None:
        return Outcome.SUCCESS
    if isinstance(error, CircuitOpenError | BudgetExhaustedError):
        return Outcome.IGNORED  # our own refusals: the platform was not asked
    if isinstance(error, NetworkError | PlatformAPIError | RateLimitError) and error.retryable:
        return Outcome.FAILURE
    return Outcome.IGNORED


@dataclass(frozen=True)
class BreakerPolicy:
    failure_rate: float = 0.5
    min_calls: int = 10
    window_s: float = 60.0
    buckets: int = 10
    open_s: float = 30.0
    probes: int = 3
    # A probe that never reports (its worker was killed) frees its slot after this long; the
    # clients' read timeout is 15 s, so a live probe has answered by then.
    probe_timeout_s: float = 30.0
    half_open_retry_s: float = 2.0  # what a call refused while probes run is told to wait
    ramp: tuple[float, ...] = (0.1, 0.25, 0.5, 1.0)
    ramp_step_s: float = 10.0

    @property
    def bucket_s(self) -> float:
        return self.window_s / self.buckets


@dataclass(frozen=True)
class BreakerState:
    state: State = State.CLOSED
    since: float = 0.0
    open_until: float | None = None
    window: tuple[tuple[int, int, int], ...] = ()  # (bucket index, calls, failures)
    probes_admitted: int = 0
    probes_succeeded: int = 0
    probe_round_at: float = 0.0
    ramp_started_at: float | None = None
    reason: str = ""
    actor: str = "system"

    def to_doc(self) -> Doc:
        doc = asdict(self)
        doc["state"] = self.state.value
        doc["window"] = [list(b) for b in self.window]
        return doc

    @classmethod
    def from_doc(cls, doc: Doc | None) -> BreakerState:
        if doc is None:
            return cls()
        values = dict(doc)
        values["state"] = State(values["state"])
        values["window"] = tuple(tuple(b) for b in values.get("window", ()))
        return cls(**values)


@dataclass(frozen=True)
class Transition:
    key: str
    from_state: State
    to_state: State
    reason: str
    actor: str
    at: float

    @property
    def platform(self) -> str:
        return platform_of(self.key)


@dataclass(frozen=True)
class Admission:
    allowed: bool
    probe: bool = False
    retry_after: float = 0.0
    ramp: float = 1.0
    state: State = State.CLOSED


ALLOW = Admission(True)


def platform_of(key: str) -> str:
    return key.split(":", 1)[0]


# --- pure transitions ---------------------------------------------------------------------------


def window_stats(st: BreakerState, now: float, policy: BreakerPolicy) -> tuple[int, int]:
    """(calls, failures) inside the sliding window ending now."""
    oldest = int(now // policy.bucket_s) - policy.buckets + 1
    calls = sum(c for i, c, _ in st.window if i >= oldest)
    failures = sum(f for i, _, f in st.window if i >= oldest)
    return calls, failures


def ramp_fraction(st: BreakerState, now: float, policy: BreakerPolicy) -> float:
    if st.state is not State.CLOSED or st.ramp_started_at is None:
        return 1.0
    step = int(max(0.0, now - st.ramp_started_at) // policy.ramp_step_s)
    return policy.ramp[step] if step < len(policy.ramp) else 1.0


def _moved(st: BreakerState, to: State, now: float, reason: str, actor: str) -> BreakerState:
    return BreakerState(state=to, since=now, reason=reason, actor=actor)


def admit(
    st: BreakerState, now: float, policy: BreakerPolicy
) -> tuple[BreakerState | None, Admission, tuple[State, str] | None]:
    """May a call go out now? Returns (new state or None, admission, (from, reason) if moved)."""
    if st.state is State.CLOSED:
        return None, Admission(True, ramp=ramp_fraction(st, now, policy)), None
    if st.state is State.FORCED_OPEN:
        return None, Admission(False, retry_after=policy.open_s, state=st.state), None
    if st.state is State.OPEN:
        assert st.open_until is not None
        if now < st.open_until:
            return None, Admission(False, retry_after=st.open_until - now, state=st.state), None
        reason = f"cool-down of {policy.open_s:g} s passed; probing"
        new = replace(
            _moved(st, State.HALF_OPEN, now, reason, "system"),
            probes_admitted=1,
            probe_round_at=now,
        )
        return new, Admission(True, probe=True, state=State.HALF_OPEN), (State.OPEN, reason)
    # half-open
    admitted, round_at = st.probes_admitted, st.probe_round_at
    if now - round_at > policy.probe_timeout_s:
        admitted, round_at = 0, now  # probes that never reported: start a new round
    if admitted < policy.probes:
        new = replace(st, probes_admitted=admitted + 1, probe_round_at=round_at)
        return new, Admission(True, probe=True, state=st.state), None
    return None, Admission(False, retry_after=policy.half_open_retry_s, state=st.state), None


def record(
    st: BreakerState, admission: Admission, outcome: Outcome, now: float, policy: BreakerPolicy
) -> tuple[BreakerState | None, tuple[State, str] | None]:
    """Account one call's outcome. Returns (new state or None, (from, reason) if it moved)."""
    if st.state is State.HALF_OPEN and admission.probe:
        if outcome is Outcome.IGNORED:
            return replace(st, probes_admitted=max(0, st.probes_admitted - 1)), None
        if outcome is Outcome.FAILURE:
            reason = "a probe failed; open again"
            new = replace(
                _moved(st, State.OPEN, now, reason, "system"), open_until=now + policy.open_s
            )
            return new, (State.HALF_OPEN, reason)
        succeeded = st.probes_succeeded + 1
        if succeeded >= policy.probes:
            reason = f"{succeeded} probes succeeded; ramping traffic back"
            new = replace(_moved(st, State.CLOSED, now, reason, "system"), ramp_started_at=now)
            return new, (State.HALF_OPEN, reason)
        return replace(st, probes_succeeded=succeeded), None
    if st.state is not State.CLOSED or outcome is Outcome.IGNORED or admission.probe:
        return None, None  # a late report from before the last transition says nothing new
    index = int(now // policy.bucket_s)
    oldest = index - policy.buckets + 1
    buckets = {i: (c, f) for i, c, f in st.window if i >= oldest}
    calls, failures = buckets.get(index, (0, 0))
    buckets[index] = (calls + 1, failures + int(outcome is Outcome.FAILURE))
    new = replace(st, window=tuple((i, c, f) for i, (c, f) in sorted(buckets.items())))
    total, failed = window_stats(new, now, policy)
    if total >= policy.min_calls and failed / total >= policy.failure_rate:
        reason = (
            f"failure rate {failed / total:.0%} over {total} calls in {policy.window_s:g} s "
            f"(threshold {policy.failure_rate:.0%}, minimum {policy.min_calls} calls)"
        )
        opened = replace(
            _moved(st, State.OPEN, now, reason, "system"), open_until=now + policy.open_s
        )
        return opened, (State.CLOSED, reason)
    return new, None


def reset(st: BreakerState, now: float, actor: str, reason: str) -> BreakerState:
    if st.state is State.CLOSED:
        return replace(st, reason=reason, actor=actor)  # nothing to ramp back from
    return replace(_moved(st, State.CLOSED, now, reason, actor), ramp_started_at=now)


def force_open(st: BreakerState, now: float, actor: str, reason: str) -> BreakerState:
    return _moved(st, State.FORCED_OPEN, now, reason, actor)


def rebuilt(
    to_state: State, at: float, reason: str, actor: str, now: float, policy: BreakerPolicy
) -> BreakerState:
    """The state a breaker is in after its last recorded transition (to `to_state` at `at`).

    What the record does not hold starts afresh: the failure window is empty, and a half-open
    breaker's probe round starts again now (its probes' answers were in the lost state).
    """
    if to_state is State.OPEN:
        return BreakerState(State.OPEN, at, at + policy.open_s, reason=reason, actor=actor)
    if to_state is State.FORCED_OPEN:
        return BreakerState(State.FORCED_OPEN, at, reason=reason, actor=actor)
    if to_state is State.HALF_OPEN:
        return BreakerState(State.HALF_OPEN, at, probe_round_at=now, reason=reason, actor=actor)
    return BreakerState(State.CLOSED, at, ramp_started_at=at, reason=reason, actor=actor)


# --- the shared breakers ------------------------------------------------------------------------

Listener = Callable[[Transition], None]
# The last recorded transition of a breaker as the state it left, or None if it has none.
Recall = Callable[[str], BreakerState | None]


@dataclass(frozen=True)
class BreakerView:
    """What operators see (list, API, health)."""

    key: str
    state: State
    since: float
    failure_rate: float
    calls_in_window: int
    failures_in_window: int
    next_probe_at: float | None
    ramp_percent: int
    reason: str
    actor: str

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["state"] = self.state.value
        return values


@dataclass
class Breakers:
    state: SharedState
    policy: BreakerPolicy = field(default_factory=BreakerPolicy)
    clock: Callable[[], float] = time.time  # wall time: compared across processes
    listeners: list[Listener] = field(default_factory=list)
    recall: Recall | None = None  # the database's record; None: memory state is the truth
    _recalled: dict[str, tuple[float, BreakerState | None]] = field(default_factory=dict)

    def _key(self, key: str) -> str:
        return f"breaker:{key}"

    def admit(self, key: str) -> Admission:
        now = self.clock()
        try:
            doc = self.state.get(self._key(key))
            if doc is None and self.recall is not None:
                doc = self._rebuild(key)
            if doc is None or doc.get("state") == State.CLOSED.value:
                # The common case costs one read: nothing changes when a closed breaker admits.
                st = BreakerState.from_doc(doc)
                return Admission(True, ramp=ramp_fraction(st, now, self.policy))

            def step(doc: Doc | None) -> tuple[Doc | None, tuple[Admission, Transition | None]]:
                st = BreakerState.from_doc(doc)
                new, admission, moved = admit(st, now, self.policy)
                return (None if new is None else new.to_doc()), (
                    admission,
                    self._transition(key, moved, new),
                )

            admission, transition = self.state.update(self._key(key), step, IDLE_TTL_S)
        except StateUnavailableError as exc:
            log.warning("breaker_state_unavailable", breaker=key, error=str(exc))
            # A Redis outage must not stop sync, nor reopen a platform the record says is down.
            return self._recorded_admission(key, now)
        self._notify(transition)
        return admission

    def _rebuild(self, key: str) -> Doc:
        """Put the recorded state back where Redis lost it; an unrecorded breaker is closed."""
        st = self._recall(key) or BreakerState()

        def step(doc: Doc | None) -> tuple[Doc | None, Doc]:
            if doc is not None:
                return None, doc  # another process rebuilt (or moved) it first
            return st.to_doc(), st.to_doc()

        rebuilt_doc = self.state.update(self._key(key), step, IDLE_TTL_S)
        if st.state is not State.CLOSED:
            log.info("breaker_rebuilt", breaker=key, state=st.state.value)
        return rebuilt_doc

    def _recall(self, key: str) -> BreakerState | None:
        assert self.recall is not None
        try:
            return self.recall(key)
        except Exception as exc:
            # The database is down too: nothing recorded can be read, so nothing refuses.
            log.warning("breaker_recall_failed", breaker=key, error=type(exc).__name__)
            return None

    def _recorded_admission(self, key: str, now: float) -> Admission:
        if self.recall is None:
            return ALLOW
        cached = self._recalled.get(key)
        if cached is None or now - cached[0] >= RECALL_CACHE_S:
            cached = self._recalled[key] = (now, self._recall(key))
        st = cached[1]
        if st is None or st.state not in REFUSING:
            return ALLOW
        # Refused while the recorded cool-down lasts (or it was forced open); once it has passed,
        # calls go out unguarded, as without any record: probes need the shared state.
        _, admission, _ = admit(st, now, self.policy)
        return admission if not admission.allowed else ALLOW

    def refusing(self, key: str) -> Admission | None:
        """Read-only: the refusal a call would get now, or None (used after a rate-limit wait)."""
        try:
            st = BreakerState.from_doc(self.state.get(self._key(key)))
        except StateUnavailableError:
            return None
        if st.state not in REFUSING:
            return None
        _, admission, _ = admit(st, self.clock(), self.policy)
        return None if admission.allowed else admission

    def record(self, key: str, admission: Admission, outcome: Outcome) -> None:
        now = self.clock()
        if not admission.allowed:
            return

        def step(doc: Doc | None) -> tuple[Doc | None, Transition | None]:
            st = BreakerState.from_doc(doc)
            new, moved = record(st, admission, outcome, now, self.policy)
            return (None if new is None else new.to_doc()), self._transition(key, moved, new)

        try:
            transition = self.state.update(self._key(key), step, IDLE_TTL_S)
        except StateUnavailableError as exc:
            log.warning("breaker_state_unavailable", breaker=key, error=str(exc))
            return
        self._notify(transition)

    def reset(self, key: str, actor: str, reason: str) -> Transition:
        return self._manual(key, lambda st, now: reset(st, now, actor, reason), actor, reason)

    def force_open(self, key: str, actor: str, reason: str) -> Transition:
        return self._manual(
            key, lambda st, now: force_open(st, now, actor, reason), actor, reason, forced=True
        )

    def _manual(
        self,
        key: str,
        change: Callable[[BreakerState, float], BreakerState],
        actor: str,
        reason: str,
        *,
        forced: bool = False,
    ) -> Transition:
        now = self.clock()

        def step(doc: Doc | None) -> tuple[Doc | None, Transition]:
            st = BreakerState.from_doc(doc)
            new = change(st, now)
            return new.to_doc(), Transition(key, st.state, new.state, reason, actor, now)

        # A person's action must not fail open silently: StateUnavailableError propagates.
        ttl = None if forced else IDLE_TTL_S
        transition = self.state.update(self._key(key), step, ttl)
        self._notify(transition)
        return transition

    def view(self, key: str) -> BreakerView:
        doc = self.state.get(self._key(key))
        if doc is None and self.recall is not None:
            doc = self._rebuild(key)
        return self._view(key, BreakerState.from_doc(doc))

    def views(self) -> list[BreakerView]:
        docs = self.state.items("breaker:")
        return sorted(
            (
                self._view(k.removeprefix("breaker:"), BreakerState.from_doc(d))
                for k, d in docs.items()
            ),
            key=lambda v: v.key,
        )

    def _view(self, key: str, st: BreakerState) -> BreakerView:
        now = self.clock()
        calls, failures = window_stats(st, now, self.policy)
        next_probe = None
        if st.state is State.OPEN:
            next_probe = st.open_until
        elif st.state is State.HALF_OPEN:
            next_probe = now
        return BreakerView(
            key=key,
            state=st.state,
            since=st.since,
            failure_rate=round(failures / calls, 3) if calls else 0.0,
            calls_in_window=calls,
            failures_in_window=failures,
            next_probe_at=next_probe,
            ramp_percent=round(ramp_fraction(st, now, self.policy) * 100),
            reason=st.reason,
            actor=st.actor,
        )

    def _transition(
        self, key: str, moved: tuple[State, str] | None, new: BreakerState | None
    ) -> Transition | None:
        if moved is None or new is None:
            return None
        return Transition(key, moved[0], new.state, moved[1], new.actor, new.since)

    def _notify(self, transition: Transition | None) -> None:
        if transition is None:
            return
        for listener in self.listeners:
            try:
                listener(transition)
            except Exception:
                # Events fail softly: a failed history write must not fail the platform call.
                log.exception("breaker_listener_failed", breaker=transition.key)
