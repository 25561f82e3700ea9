"""The invariants of RELIABILITY.md ("Invariants a fault-injection run must check"), checked over
the recorded history once the faults stopped, one reconciliation pass ran and the run converged.

Each check returns `Check(name, ok, detail)`; the run fails if any is not ok. Ground truth is
what the simulators hold (every order the traffic placed, its last status, the stock each
platform shows); StoreSync's side is read straight from its database.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from chaos.history import History
from chaos.stack import ChaosStack, Shop
from chaos.traffic import PlacedOrder

SHIPPED = {"SHIPPED", "COMPLETED", "IN_TRANSIT", "DELIVERED", "TO_CONFIRM_RECEIVE"}
CANCELLED = {"CANCELLED"}
NON_RETRYABLE = {
    "VALIDATION_ERROR",
    "AUTHENTICATION_ERROR",
    "AUTHORIZATION_ERROR",
    "SYNC_ERROR",
    "INTERNAL_ERROR",
}
MAX_LISTED = 20  # examples kept in the report per problem


@dataclass
class Check:
    name: str
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)


def _rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params).all())


# --- 1. nothing acknowledged is lost -------------------------------------------------------------


def imported_exactly_once(engine: Engine, placed: list[PlacedOrder], uncertain: int) -> Check:
    ours: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for platform, shop_ext, ext_id, raw_status in _rows(
        engine,
        "SELECT o.platform, s.external_id, o.external_id, o.raw_status "
        "FROM orders o JOIN shops s ON s.id = o.shop_id",
    ):
        ours[(platform, shop_ext, ext_id)].append(raw_status)
    missing, wrong_status, duplicates = [], [], []
    for order in placed:
        key = (order.platform, order.shop_external_id, order.order_id)
        held = ours.get(key, [])
        if not held:
            missing.append(order.order_id)
        elif len(held) > 1:
            duplicates.append(order.order_id)
        elif held[0] != order.status:
            wrong_status.append(
                {"order": order.order_id, "platform": order.status, "storesync": held[0]}
            )
    known = {(o.platform, o.shop_external_id, o.order_id) for o in placed}
    unexpected = [key[2] for key in ours if key not in known]
    # A control-API call that failed may still have created its order: only then is an order we
    # hold but the traffic did not record acceptable.
    ok = not (missing or wrong_status or duplicates or (unexpected and not uncertain))
    return Check(
        "imported_exactly_once",
        ok,
        {
            "platform_orders": len(placed),
            "storesync_orders": sum(len(v) for v in ours.values()),
            "missing": missing[:MAX_LISTED],
            "missing_count": len(missing),
            "duplicates": duplicates[:MAX_LISTED],
            "wrong_status": wrong_status[:MAX_LISTED],
            "wrong_status_count": len(wrong_status),
            "unexpected": unexpected[:MAX_LISTED],
        },
    )


# --- 2. no duplicate effects ---------------------------------------------------------------------


def ledger_consistent(engine: Engine, placed: list[PlacedOrder]) -> Check:
    """The ledger explains on_hand; reservations equal open lines; and, against the platforms'
    truth, every shipped unit was deducted once and every open unit is held once."""
    problems: list[dict[str, Any]] = []
    levels = {
        sku: (on_hand, reserved, ledger)
        for sku, on_hand, reserved, ledger in _rows(
            engine,
            "SELECT v.sku, l.on_hand, l.reserved, "
            "(SELECT COALESCE(SUM(e.delta), 0) FROM stock_ledger e WHERE e.variant_id = v.id) "
            "FROM variants v JOIN inventory_levels l ON l.variant_id = v.id",
        )
    }
    held = dict(
        _rows(
            engine,
            "SELECT v.sku, COALESCE(SUM(ol.reserved_qty), 0) FROM order_lines ol "
            "JOIN variants v ON v.id = ol.variant_id WHERE ol.holds_stock GROUP BY v.sku",
        )
    )
    for sku, (on_hand, reserved, ledger) in sorted(levels.items()):
        if ledger != on_hand:
            problems.append(
                {"sku": sku, "problem": "ledger_sum", "ledger": ledger, "on_hand": on_hand}
            )
        if reserved != held.get(sku, 0):
            problems.append(
                {"sku": sku, "problem": "reserved", "reserved": reserved, "lines": held.get(sku, 0)}
            )
    # Per order and variant: units deducted by the ledger vs the units its lines reserved.
    deducted = {
        (order_id, sku): -int(total)
        for order_id, sku, total in _rows(
            engine,
            "SELECT e.order_id, v.sku, SUM(e.delta) FROM stock_ledger e "
            "JOIN variants v ON v.id = e.variant_id WHERE e.reason = 'order_shipped' "
            "GROUP BY e.order_id, v.sku",
        )
    }
    lines: dict[tuple[str, str, str], tuple[int, int, int, bool, int]] = {}
    for platform, ext_id, order_id, sku, qty, reserved_qty, oversold_qty, holds in _rows(
        engine,
        "SELECT o.platform, o.external_id, o.id, v.sku, SUM(ol.quantity), SUM(ol.reserved_qty), "
        "SUM(ol.oversold_qty), BOOL_OR(ol.holds_stock) FROM order_lines ol "
        "JOIN orders o ON o.id = ol.order_id JOIN variants v ON v.id = ol.variant_id "
        "GROUP BY o.platform, o.external_id, o.id, v.sku",
    ):
        lines[(platform, ext_id, sku)] = (
            int(qty),
            int(reserved_qty),
            int(oversold_qty),
            bool(holds),
            int(order_id),
        )
    truth_shipped: Counter[str] = Counter()
    truth_open: Counter[str] = Counter()
    ours_shipped: Counter[str] = Counter()
    ours_open: Counter[str] = Counter()
    for order in placed:
        for sku, qty in order.lines.items():
            if order.status in SHIPPED:
                truth_shipped[sku] += qty
            elif order.status not in CANCELLED:
                truth_open[sku] += qty
            line = lines.get((order.platform, order.order_id, sku))
            if line is None:
                continue  # reported by imported_exactly_once
            _quantity, reserved_qty, oversold_qty, holds, order_db_id = line
            took = deducted.get((order_db_id, sku), 0)
            if order.status in SHIPPED:
                ours_shipped[sku] += took + oversold_qty
                if took != reserved_qty or holds:
                    problems.append(
                        {
                            "order": order.order_id,
                            "sku": sku,
                            "problem": "shipped_deduction",
                            "deducted": took,
                            "reserved": reserved_qty,
                        }
                    )
            elif order.status in CANCELLED:
                if took or holds:
                    problems.append(
                        {"order": order.order_id, "sku": sku, "problem": "cancelled_holds"}
                    )
            else:
                ours_open[sku] += (reserved_qty if holds else 0) + oversold_qty
                if took or not holds:
                    problems.append(
                        {"order": order.order_id, "sku": sku, "problem": "open_not_held"}
                    )
    for sku in sorted(set(truth_shipped) | set(ours_shipped)):
        if truth_shipped[sku] != ours_shipped[sku]:
            problems.append(
                {
                    "sku": sku,
                    "problem": "shipped_units",
                    "platforms": truth_shipped[sku],
                    "storesync": ours_shipped[sku],
                }
            )
    for sku in sorted(set(truth_open) | set(ours_open)):
        if truth_open[sku] != ours_open[sku]:
            problems.append(
                {
                    "sku": sku,
                    "problem": "open_units",
                    "platforms": truth_open[sku],
                    "storesync": ours_open[sku],
                }
            )
    return Check(
        "no_duplicate_effects",
        not problems,
        {
            "variants": len(levels),
            "shipped_units": sum(truth_shipped.values()),
            "open_units": sum(truth_open.values()),
            "problems": problems[:MAX_LISTED],
            "problem_count": len(problems),
        },
    )


# --- 3. convergence ------------------------------------------------------------------------------


def drift(engine: Engine, stack: ChaosStack) -> list[dict[str, Any]]:
    """Listings whose platform does not show the master's available (or still dirty)."""
    master = {
        sku: max(0, on_hand - reserved - safety)
        for sku, on_hand, reserved, safety in _rows(
            engine,
            "SELECT v.sku, l.on_hand, l.reserved, l.safety FROM variants v "
            "JOIN inventory_levels l ON l.variant_id = v.id",
        )
    }
    listings = _rows(
        engine,
        "SELECT li.shop_id, li.seller_sku, li.desired_qty, li.dirty FROM listings li",
    )
    stock = {shop.id: stack.sim_stock(shop) for shop in stack.shops}
    out = []
    for shop_id, sku, desired, dirty in listings:
        shows = stock.get(shop_id, {}).get(sku, {}).get("available")
        if dirty or shows != desired or desired != master.get(sku):
            out.append(
                {
                    "shop_id": shop_id,
                    "sku": sku,
                    "master": master.get(sku),
                    "desired": desired,
                    "platform": shows,
                    "dirty": dirty,
                }
            )
    return out


def converged(engine: Engine, stack: ChaosStack, seconds: float | None, budget_s: float) -> Check:
    remaining = drift(engine, stack)
    return Check(
        "convergence",
        not remaining and seconds is not None,
        {
            "time_to_converge_s": None if seconds is None else round(seconds, 1),
            "budget_s": budget_s,
            "drifted": remaining[:MAX_LISTED],
            "drifted_count": len(remaining),
        },
    )


# --- 4. no oversell of what was known ------------------------------------------------------------


def oversell(engine: Engine, placed: list[PlacedOrder], history: History) -> Check:
    """Oversold units are reported with their orders. One is *unexplained* (a violation) when
    the platform accepted it although StoreSync's last confirmed push, at least 1 s older than
    the order and with no push in between, left fewer units than that shop sold since (plus what
    cancellations there gave back in the minute before)."""
    rows = _rows(
        engine,
        "SELECT o.platform, o.external_id, o.shop_id, v.sku, v.id, ol.quantity, ol.oversold_qty "
        "FROM order_lines ol JOIN orders o ON o.id = ol.order_id "
        "JOIN variants v ON v.id = ol.variant_id WHERE ol.oversold_qty > 0",
    )
    listing_of = {
        (shop_id, variant_id): listing_id
        for listing_id, shop_id, variant_id in _rows(
            engine, "SELECT id, shop_id, variant_id FROM listings"
        )
    }
    by_id = {(o.platform, o.order_id): o for o in placed}
    # The platform's own acceptance second (floored): [created, created + 1) brackets it, where
    # the traffic's clock only bounds it from above (it reads the time after the answer).
    accepted_from = {
        (platform, ext_id): created.timestamp()
        for platform, ext_id, created in _rows(
            engine, "SELECT platform, external_id, platform_created_at FROM orders"
        )
    }
    lines, unexplained = [], []
    for platform, ext_id, shop_id, sku, variant_id, qty, oversold_qty in rows:
        order = by_id.get((platform, ext_id))
        entry: dict[str, Any] = {
            "platform": platform,
            "order": ext_id,
            "sku": sku,
            "quantity": qty,
            "oversold": oversold_qty,
        }
        lines.append(entry)
        listing_id = listing_of.get((shop_id, variant_id))
        if order is None or listing_id is None:
            entry["explained"] = "unknown order or listing"
            continue
        entry["explained"] = _explain(order, listing_id, sku, placed, history, accepted_from)
        if entry["explained"] is None:
            unexplained.append(
                entry | {"evidence": oversell_evidence(order, listing_id, sku, placed, history)}
            )
    return Check(
        "no_known_oversell",
        not unexplained,
        {
            "oversold_units": sum(int(r[6]) for r in rows),
            "oversold_lines": lines[:MAX_LISTED],
            "unexplained": unexplained[:MAX_LISTED],
        },
    )


def _explain(
    order: PlacedOrder,
    listing_id: int,
    sku: str,
    placed: list[PlacedOrder],
    history: History,
    accepted_from: dict[tuple[str, str], float],
) -> str | None:
    def earliest(o: PlacedOrder) -> float:
        return accepted_from.get((o.platform, o.order_id), o.created_at)

    # At the latest: when the traffic got the answer, or the end of the platform's second.
    accepted = min(order.created_at, earliest(order) + 1.0)
    pushes = sorted(history.confirmations.get(listing_id, []), key=lambda c: c.at)
    before = [c for c in pushes if c.at.timestamp() <= accepted - 1.0]
    if not before:
        return "no push confirmed before the order (initial stock)"
    last = before[-1]
    if any(last.at < c.at and c.at.timestamp() <= accepted + 1.0 for c in pushes):
        return "a push was landing as the order came in (propagation window)"
    if last.qty is None:
        return "the platform's value was unknown (a push was due)"
    since = last.at.timestamp() + 1.0
    sold = sum(  # only orders certainly accepted after the push landed
        o.lines.get(sku, 0)
        for o in placed
        if o.platform == order.platform
        and o.shop_external_id == order.shop_external_id
        and since < earliest(o) <= accepted
    )
    given_back = sum(
        o.lines.get(sku, 0)
        for o in placed
        if o.platform == order.platform
        and o.shop_external_id == order.shop_external_id
        and any(
            status in CANCELLED and last.at.timestamp() - 60 <= at <= accepted
            for at, status in o.moves
        )
    )
    if sold <= last.qty + given_back:
        return f"within the {last.qty} units last pushed (+{given_back} cancelled)"
    # The platform sold more than the last recorded push left: it took a write we have no
    # confirmation of (the confirming transaction failed, e.g. PostgreSQL restarting, or the
    # sampler missed a short-lived confirmation). Fine if that value was one StoreSync wanted
    # at the time; a value above anything it wanted recently is a stale write: a violation.
    window = [
        p
        for p in history.timeline.get(listing_id, [])
        if last.at.timestamp() - 10 <= p[0] <= accepted
    ]
    seen = [p[4] for p in window if p[4] is not None and p[0] >= last.at.timestamp()]
    wanted = max((p[1] for p in window), default=None)
    rose = max(seen, default=None)
    if rose is not None and rose > last.qty and wanted is not None and rose <= wanted:
        return (
            f"an unconfirmed push of {rose} (StoreSync wanted up to {wanted} then) landed after"
            f" the confirmed {last.qty}"
        )
    return None


def oversell_evidence(
    order: PlacedOrder, listing_id: int, sku: str, placed: list[PlacedOrder], history: History
) -> dict[str, Any]:
    """What the record shows around an unexplained oversold line, times relative to the order."""
    accepted = order.created_at
    near = [
        {"t": round(t - accepted, 2), "desired": d, "confirmed": c, "dirty": dirty, "platform": p}
        for t, d, c, dirty, p in history.timeline.get(listing_id, [])
        if accepted - 30 <= t <= accepted + 5
    ]
    pushes = [
        {"t": round(c.at.timestamp() - accepted, 2), "qty": c.qty}
        for c in history.confirmations.get(listing_id, [])
        if accepted - 60 <= c.at.timestamp() <= accepted + 5
    ]
    same_shop = [
        {
            "order": o.order_id,
            "t": round(o.created_at - accepted, 2),
            "qty": o.lines[sku],
            "moves": [(round(at - accepted, 2), status) for at, status in o.moves],
        }
        for o in placed
        if o.platform == order.platform
        and o.shop_external_id == order.shop_external_id
        and sku in o.lines
        and accepted - 60 <= o.created_at <= accepted + 1
    ]
    return {"samples": near[-25:], "confirmed_pushes": pushes, "orders_of_this_shop": same_shop}


# --- 5. checkpoints ------------------------------------------------------------------------------


def checkpoints(history: History) -> Check:
    return Check(
        "checkpoints_monotonic",
        not history.backwards,
        {
            "series": len(history.checkpoints),
            "moves": sum(len(v) for v in history.checkpoints.values()),
            "backwards": history.backwards[:MAX_LISTED],
            "samples": history.samples,
            "failed_samples": history.failed_samples,
        },
    )


# --- 6. breakers ---------------------------------------------------------------------------------

# What a breaker may do next; manual moves (reset / force-open) may come from any state.
ALLOWED = {
    ("closed", "open"),
    ("open", "half_open"),
    ("half_open", "closed"),
    ("half_open", "open"),
}


def breakers(engine: Engine, logs: Path, burst_platform: str | None, one_shop_each: bool) -> Check:
    """Transitions follow the state machine; a burst opened the burst platform's breaker; no
    call to that platform started while its breaker was open; every breaker ended closed."""
    events = _rows(
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
        calls = _call_starts(logs)
        for key, kind, begin, end in _intervals(events):
            platform = key.split(":", 1)[0]
            if key.endswith(":app"):
                continue
            inside = [
                t
                for p, t in calls
                if p == platform and begin + OPEN_SLACK_S < t < end - OPEN_SLACK_S
            ]
            if kind == "open":
                calls_while_open += len(inside)
            else:
                calls_half_open += len(inside)
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
    for breaker, to_state in _rows(
        engine, "SELECT breaker, to_state FROM breaker_events ORDER BY created_at, id"
    ):
        last[breaker] = to_state
    return {k: v for k, v in last.items() if v != "closed"}


OPEN_SLACK_S = 0.5  # transitions are stamped by the process that made them; clocks are one


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
    for event in _log_events(logs, {"marketplace_call"}):
        if event.get("status") is None and event.get("outcome") == "CircuitOpenError":
            continue
        try:
            ends = datetime.fromisoformat(str(event["timestamp"]).replace("Z", "+00:00"))
        except (KeyError, ValueError):
            continue
        start = ends.timestamp() - float(event.get("latency_ms") or 0) / 1000
        out.append((str(event.get("platform")), start))
    return out


# --- 7. retry discipline -------------------------------------------------------------------------


def read_metrics(metrics_dir: Path) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Every counter sample all StoreSync processes wrote (prometheus multiprocess files)."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(metrics_dir))  # type: ignore[no-untyped-call]
    out: dict[str, list[tuple[dict[str, str], float]]] = defaultdict(list)
    for metric in registry.collect():
        for sample in metric.samples:
            out[sample.name].append((dict(sample.labels), float(sample.value)))
    return out


def _sum_by(samples: Iterable[tuple[dict[str, str], float]], *labels: str) -> dict[str, float]:
    total: dict[str, float] = defaultdict(float)
    for sample_labels, value in samples:
        key = "/".join(sample_labels.get(label, "?") for label in labels)
        total[key] += value
    return {k: v for k, v in sorted(total.items()) if v}


def retry_discipline(metrics: dict[str, list[tuple[dict[str, str], float]]], logs: Path) -> Check:
    """Non-retryable classes are never retried, in the call or by the queue; attempts are
    bounded (<= 3 in the call); waits are jittered.

    The metric counts retries by code, and a code can hold retryable and non-retryable classes
    (AUTHENTICATION_ERROR: a refreshed or rotated token is retried once, a refused one never),
    so the logs tell which class each retry was for."""
    retries = metrics.get("storesync_retries_total", [])
    by_layer_code = _sum_by(retries, "layer", "code")
    events = _log_events(logs, {"call_retry", "job_failed"})
    retryable = _retryable_classes()
    call_retries = [e for e in events if e.get("event") == "call_retry"]
    failures = [e for e in events if e.get("event") == "job_failed"]
    problems: list[dict[str, Any]] = []
    for event in call_retries:
        cls = str(event.get("error"))
        if retryable.get(cls) is False:
            problems.append({"layer": "call", "class": cls, "code": event.get("code")})
    max_call_attempt = max((int(e.get("attempt", 0)) for e in call_retries), default=0)
    if max_call_attempt >= 3:  # attempt n is followed by retry n+1: at most 3 attempts in all
        problems.append({"layer": "call", "problem": "attempts", "max_attempt": max_call_attempt})
    # A queue retry for a code is only fine if a retryable class of that code failed that often.
    retryable_failures: Counter[str] = Counter(
        str(e.get("code")) for e in failures if retryable.get(str(e.get("error"))) is True
    )
    for key, count in by_layer_code.items():
        layer, code = key.split("/", 1)
        if layer == "queue" and count > retryable_failures[code]:
            problems.append(
                {
                    "layer": "queue",
                    "code": code,
                    "retries": count,
                    "retryable_failures": retryable_failures[code],
                }
            )
    waits = [round(float(e.get("wait_s", 0.0)), 3) for e in call_retries]
    jittered = len(set(waits)) > 1 or len(waits) <= 1
    if not jittered:
        problems.append({"layer": "call", "problem": "identical waits", "waits": waits[:10]})
    return Check(
        "retry_discipline",
        not problems,
        {
            "retries_by_class": _sum_by(retries, "code"),
            "retries_by_layer_and_class": by_layer_code,
            "call_retries_by_error": dict(Counter(str(e.get("error")) for e in call_retries)),
            "job_failures_by_error": dict(Counter(str(e.get("error")) for e in failures)),
            "max_call_attempt": max_call_attempt,
            "max_job_attempt": max((int(e.get("attempt") or 0) for e in failures), default=0),
            "distinct_call_waits": len(set(waits)),
            "problems": problems[:MAX_LISTED],
            "metric_found": bool(retries),
        },
    )


def _retryable_classes() -> dict[str, bool]:
    """Every StoreSyncError subclass StoreSync defines, by class name -> retryable."""
    import importlib

    from storesync.errors import StoreSyncError

    for module in ("storesync.shop.lifecycle", "storesync.resilience.errors"):
        try:
            importlib.import_module(module)
        except ImportError:
            continue
    out: dict[str, bool] = {}
    todo = [StoreSyncError]
    while todo:
        cls = todo.pop()
        out[cls.__name__] = bool(getattr(cls, "retryable", False))
        todo.extend(cls.__subclasses__())
    return out


def _log_events(logs: Path, names: set[str]) -> list[dict[str, Any]]:
    """JSON log lines of every StoreSync process whose event is one of `names`."""
    out: list[dict[str, Any]] = []
    for path in sorted(logs.glob("*.log")):
        if path.name.startswith(("shopee", "tiktok")):
            continue
        for line in path.read_text(errors="replace").splitlines():
            if not any(f'"{name}"' in line for name in names):
                continue
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") in names:
                out.append(event)
    return out


# --- 8. dead letters and signals -----------------------------------------------------------------


def dead_letters(engine: Engine) -> Check:
    rows = _rows(engine, "SELECT task, error_code, status FROM dead_letters")
    by_code: Counter[str] = Counter()
    by_task: Counter[str] = Counter()
    without_code = 0
    for task, code, _status in rows:
        by_code[code or "(none)"] += 1
        by_task[task] += 1
        without_code += int(not code)
    return Check(
        "dead_letters_have_codes",
        without_code == 0,
        {
            "total": len(rows),
            "by_code": dict(sorted(by_code.items())),
            "by_task": dict(sorted(by_task.items())),
            "without_code": without_code,
        },
    )


# --- the faults themselves -----------------------------------------------------------------------


def fault_coverage(injected: dict[str, int], required: Iterable[str]) -> Check:
    missing = [kind for kind in required if injected.get(kind, 0) < 1]
    return Check("every_fault_injected", not missing, {"injected": injected, "missing": missing})


def token_healed(engine: Engine, shop: Shop | None, revoked: str | None, cipher_key: str) -> Check:
    if shop is None or revoked is None:
        return Check("revoked_token_healed", False, {"problem": "no token was revoked"})
    from cryptography.fernet import Fernet

    rows = _rows(
        engine,
        "SELECT status, access_token_enc, paused_reason FROM shops WHERE id = :id",
        id=shop.id,
    )
    status, token_enc, paused = rows[0]
    current = (
        Fernet(cipher_key.encode()).decrypt(token_enc.encode()).decode() if token_enc else None
    )
    ok = status == "active" and current is not None and current != revoked
    return Check(
        "revoked_token_healed",
        ok,
        {
            "shop_id": shop.id,
            "platform": shop.platform,
            "status": status,
            "paused_reason": paused,
            "token_replaced": current != revoked,
        },
    )


def isoformat(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
