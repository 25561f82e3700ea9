"""Invariant 6, breakers: transitions follow the state machine; a burst opened the burst
platform's breaker; no call to that platform started while its breaker was open; every breaker
ended closed.

Calls are counted per breaker key and per process against the shared record (`breaker_events`,
the truth every process's breaker state is rebuilt from): each StoreSync process writes its own
log file (`worker-1.log`, its restart `worker-1.1.log`, `serve.log`, ...), so a call that started
while the record said "open" is pinned on the process that made it. With one shop per platform
a platform's calls are its shop breaker's (`marketplace_call` lines carry the platform, not the
shop). The `breaker_transition` log lines say which process moved each breaker."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from bench.chaos.checks.base import MAX_LISTED, Check, rows

# What a breaker may do next; manual moves (reset / force-open) may come from any state.
ALLOWED = {
    ("closed", "open"),
    ("open", "half_open"),
    ("half_open", "closed"),
    ("half_open", "open"),
}
OPEN_SLACK_S = 0.5  # transitions are stamped by the process that made them; clocks are one


def check(
    engine: Engine,
    logs: Path,
    burst_platform: str | None,
    one_shop_each: bool,
    mode: str = "scaled",
) -> Check:
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
    table: dict[str, dict[str, dict[str, int]]] = {}
    calls_while_open, calls_half_open = 0, 0
    if one_shop_each and events:
        table = _calls_in_intervals(events, logs)
        for key, by_process in table.items():
            for process, counts in by_process.items():
                calls_while_open += counts["open"]
                calls_half_open += counts["half_open"]
                if counts["open"]:
                    problems.append(
                        {
                            "problem": "calls while open",
                            "breaker": key,
                            "process": process,
                            "calls": counts["open"],
                        }
                    )
    unattributable = "not attributable (more than one shop per platform)"
    processes = sorted({p for by_process in table.values() for p in by_process})
    return Check(
        "breakers",
        not problems,
        {
            "transitions": dict(sorted(by_kind.items())),
            "events": len(events),
            "final_states": dict(sorted(last_state.items())),
            "calls_started_while_open": calls_while_open if one_shop_each else unattributable,
            "calls_started_half_open": calls_half_open if one_shop_each else unattributable,
            # breaker key -> process (log file) -> calls started while open / half-open / closed
            "calls_by_breaker_and_process": table if one_shop_each else unattributable,
            "transitions_by_process": _transitions_by_process(logs),
            "shared_state_across_processes": (
                "not applicable in embedded mode (one process)"
                if mode == "embedded"
                else {"processes_calling": processes}
            ),
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


def _calls_in_intervals(events: list[Any], logs: Path) -> dict[str, dict[str, dict[str, int]]]:
    """breaker key -> process -> platform calls started while the record said open, half-open,
    and in total (with one shop per platform, a platform's calls are that shop's breaker's)."""
    calls = _call_starts(logs)
    intervals = _intervals(events)
    keys = sorted({str(e[0]) for e in events if not str(e[0]).endswith(":app")})
    out: dict[str, dict[str, dict[str, int]]] = {}
    for key in keys:
        platform = key.split(":", 1)[0]
        mine = [(i[1], i[2], i[3]) for i in intervals if i[0] == key]
        by_process: dict[str, dict[str, int]] = defaultdict(
            lambda: {"open": 0, "half_open": 0, "calls": 0}
        )
        for process, p, t in calls:
            if p != platform:
                continue
            counts = by_process[process]
            counts["calls"] += 1
            for kind, begin, end in mine:
                if begin + OPEN_SLACK_S < t < end - OPEN_SLACK_S:
                    counts[kind] += 1
                    break
        out[key] = dict(sorted(by_process.items()))
    return out


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


def _process_events(logs: Path, name: str) -> list[tuple[str, dict[str, Any]]]:
    """(process, event) of every StoreSync JSON log line with this event name; the process is
    the log file's name (`worker-1.1` is worker-1 after its restart)."""
    out: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(logs.glob("*.log")):
        if path.name.startswith(("shopee", "tiktok")):
            continue
        for line in path.read_text(errors="replace").splitlines():
            if f'"{name}"' not in line:
                continue
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == name:
                out.append((path.stem, event))
    return out


def _transitions_by_process(logs: Path) -> dict[str, dict[str, int]]:
    """process -> "breaker from->to" -> count, from the `breaker_transition` log lines."""
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for process, event in _process_events(logs, "breaker_transition"):
        move = f"{event.get('breaker')} {event.get('from_state')}->{event.get('to_state')}"
        out[process][move] += 1
    return {p: dict(sorted(c.items())) for p, c in sorted(out.items())}


def _call_starts(logs: Path) -> list[tuple[str, str, float]]:
    """(process, platform, unix start time) of every platform call StoreSync made (not the
    refusals)."""
    out = []
    for process, event in _process_events(logs, "marketplace_call"):
        if event.get("status") is None and event.get("outcome") == "CircuitOpenError":
            continue
        try:
            ends = datetime.fromisoformat(str(event["timestamp"]).replace("Z", "+00:00"))
        except (KeyError, ValueError):
            continue
        start = ends.timestamp() - float(event.get("latency_ms") or 0) / 1000
        out.append((process, str(event.get("platform")), start))
    return out
