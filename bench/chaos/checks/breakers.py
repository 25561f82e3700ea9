"""Invariant 6, breakers: transitions follow the state machine; a burst opened the burst
platform's breaker; no call to that platform started while its breaker was open; every breaker
ended closed."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from bench.chaos.checks.base import MAX_LISTED, Check, log_events, rows

# What a breaker may do next; manual moves (reset / force-open) may come from any state.
ALLOWED = {
    ("closed", "open"),
    ("open", "half_open"),
    ("half_open", "closed"),
    ("half_open", "open"),
}
OPEN_SLACK_S = 0.5  # transitions are stamped by the process that made them; clocks are one


def check(engine: Engine, logs: Path, burst_platform: str | None, one_shop_each: bool) -> Check:
    events = rows(
        engine,
        "SELECT breaker, from_state, to_state, actor, reason, created_at "
        "FROM breaker_events ORDER BY created_at, id",
    )
    by_kind: Counter[str] = Counter()
    problems: list[dict[str, Any]] = []
    last_state: dict[str, str] = {}
    for breaker, from_state, to_state, actor, reason, _at in events:
        by_kind[f"{from_state}->{to_state}"] += 1
        manual = actor not in (None, "", "system")
        if not manual and (from_state, to_state) not in ALLOWED and from_state != to_state:
            problems.append(
                {"breaker": breaker, "illegal": f"{from_state}->{to_state}", "why": reason}
            )
        last_state[breaker] = to_state
    opened = [e for e in events if e[2] == "open" and str(e[0]).startswith(f"{burst_platform}:")]
    if burst_platform and not opened:
        problems.append({"platform": burst_platform, "problem": "the burst opened no breaker"})
    still_open = {k: v for k, v in last_state.items() if v != "closed"}
    if still_open:
        problems.append({"problem": "not closed at the end", "breakers": still_open})
    calls_while_open, calls_half_open = 0, 0
    if one_shop_each and events:
        calls_while_open, calls_half_open = _calls_in_intervals(events, logs)
        if calls_while_open:
            problems.append({"problem": "calls while open", "calls": calls_while_open})
    return Check(
        "breakers",
        not problems,
        {
            "transitions": dict(sorted(by_kind.items())),
            "events": len(events),
            "final_states": dict(sorted(last_state.items())),
            "calls_started_while_open": calls_while_open if one_shop_each else "not attributable",
            "calls_started_half_open": calls_half_open if one_shop_each else "not attributable",
            "problems": problems[:MAX_LISTED],
        },
    )


def open_breakers(engine: Engine) -> dict[str, str]:
    """Breakers whose last recorded transition left them anything but closed."""
    last: dict[str, str] = {}
    for breaker, to_state in rows(
        engine, "SELECT breaker, to_state FROM breaker_events ORDER BY created_at, id"
    ):
        last[breaker] = to_state
    return {k: v for k, v in last.items() if v != "closed"}


def _calls_in_intervals(events: list[Any], logs: Path) -> tuple[int, int]:
    """Platform calls that started while a platform breaker was open, and while half-open
    (with one shop per platform, a platform's calls are that breaker's)."""
    calls = _call_starts(logs)
    while_open, half_open = 0, 0
    for key, kind, begin, end in _intervals(events):
        platform = key.split(":", 1)[0]
        if key.endswith(":app"):
            continue
        inside = [
            t for p, t in calls if p == platform and begin + OPEN_SLACK_S < t < end - OPEN_SLACK_S
        ]
        if kind == "open":
            while_open += len(inside)
        else:
            half_open += len(inside)
    return while_open, half_open


def _intervals(events: list[Any]) -> list[tuple[str, str, float, float]]:
    """(breaker, "open" | "half_open", start, end) from the ordered transitions."""
    out: list[tuple[str, str, float, float]] = []
    by_key: dict[str, list[Any]] = defaultdict(list)
    for event in events:
        by_key[event[0]].append(event)
    for key, series in by_key.items():
        for n, (_, _, to_state, _, _, at) in enumerate(series):
            if to_state not in ("open", "forced_open", "half_open"):
                continue
            end = series[n + 1][5].timestamp() if n + 1 < len(series) else float("inf")
            kind = "half_open" if to_state == "half_open" else "open"
            out.append((key, kind, at.timestamp(), end))
    return out


def _call_starts(logs: Path) -> list[tuple[str, float]]:
    """(platform, unix start time) of every platform call StoreSync made (not the refusals)."""
    out = []
    for event in log_events(logs, {"marketplace_call"}):
        if event.get("status") is None and event.get("outcome") == "CircuitOpenError":
            continue
        try:
            ends = datetime.fromisoformat(str(event["timestamp"]).replace("Z", "+00:00"))
        except (KeyError, ValueError):
            continue
        start = ends.timestamp() - float(event.get("latency_ms") or 0) / 1000
        out.append((str(event.get("platform")), start))
    return out
