"""Invariant 2, no duplicate effects: the ledger explains on_hand; reservations equal open lines;
and, against the platforms' truth, every shipped unit was deducted once and every open unit is
held once."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from bench.chaos.checks.base import CANCELLED, MAX_LISTED, SHIPPED, Check, rows
from bench.chaos.traffic import PlacedOrder

Problem = dict[str, Any]


@dataclass(frozen=True)
class Line:
    """One order's lines of one variant, summed."""

    quantity: int
    reserved_qty: int
    oversold_qty: int
    holds: bool
    order_db_id: int


@dataclass
class Units:
    """Units per SKU: shipped and open, on the platforms (truth) and in StoreSync (ours)."""

    truth_shipped: Counter[str] = field(default_factory=Counter)
    truth_open: Counter[str] = field(default_factory=Counter)
    ours_shipped: Counter[str] = field(default_factory=Counter)
    ours_open: Counter[str] = field(default_factory=Counter)


def check(engine: Engine, placed: list[PlacedOrder]) -> Check:
    problems: list[Problem] = []
    levels = _levels(engine)
    problems += _level_problems(engine, levels)
    deducted = _deducted(engine)
    lines = _lines(engine)
    units = Units()
    for order in placed:
        problems += _order_problems(order, lines, deducted, units)
    problems += _unit_problems("shipped_units", units.truth_shipped, units.ours_shipped)
    problems += _unit_problems("open_units", units.truth_open, units.ours_open)
    return Check(
        "no_duplicate_effects",
        not problems,
        {
            "variants": len(levels),
            "shipped_units": sum(units.truth_shipped.values()),
            "open_units": sum(units.truth_open.values()),
            "problems": problems[:MAX_LISTED],
            "problem_count": len(problems),
        },
    )


def _levels(engine: Engine) -> dict[str, tuple[int, int, int]]:
    """SKU -> (on_hand, reserved, sum of its ledger)."""
    return {
        sku: (on_hand, reserved, ledger)
        for sku, on_hand, reserved, ledger in rows(
            engine,
            "SELECT v.sku, l.on_hand, l.reserved, "
            "(SELECT COALESCE(SUM(e.delta), 0) FROM stock_ledger e WHERE e.variant_id = v.id) "
            "FROM variants v JOIN inventory_levels l ON l.variant_id = v.id",
        )
    }


def _level_problems(engine: Engine, levels: dict[str, tuple[int, int, int]]) -> list[Problem]:
    """Per variant: the ledger sums to on_hand, and reserved equals what open lines hold."""
    held = dict(
        rows(
            engine,
            "SELECT v.sku, COALESCE(SUM(ol.reserved_qty), 0) FROM order_lines ol "
            "JOIN variants v ON v.id = ol.variant_id WHERE ol.holds_stock GROUP BY v.sku",
        )
    )
    problems: list[Problem] = []
    for sku, (on_hand, reserved, ledger) in sorted(levels.items()):
        if ledger != on_hand:
            problems.append(
                {"sku": sku, "problem": "ledger_sum", "ledger": ledger, "on_hand": on_hand}
            )
        if reserved != held.get(sku, 0):
            problems.append(
                {"sku": sku, "problem": "reserved", "reserved": reserved, "lines": held.get(sku, 0)}
            )
    return problems


def _deducted(engine: Engine) -> dict[tuple[int, str], int]:
    """(order id, SKU) -> units the ledger deducted when the order shipped."""
    return {
        (order_id, sku): -int(total)
        for order_id, sku, total in rows(
            engine,
            "SELECT e.order_id, v.sku, SUM(e.delta) FROM stock_ledger e "
            "JOIN variants v ON v.id = e.variant_id WHERE e.reason = 'order_shipped' "
            "GROUP BY e.order_id, v.sku",
        )
    }


def _lines(engine: Engine) -> dict[tuple[str, str, str], Line]:
    """(platform, order's external id, SKU) -> that order's lines of the SKU."""
    lines: dict[tuple[str, str, str], Line] = {}
    for platform, ext_id, order_id, sku, qty, reserved_qty, oversold_qty, holds in rows(
        engine,
        "SELECT o.platform, o.external_id, o.id, v.sku, SUM(ol.quantity), SUM(ol.reserved_qty), "
        "SUM(ol.oversold_qty), MAX(CASE WHEN ol.holds_stock THEN 1 ELSE 0 END) "  # any line holds
        "FROM order_lines ol JOIN orders o ON o.id = ol.order_id "
        "JOIN variants v ON v.id = ol.variant_id "
        "GROUP BY o.platform, o.external_id, o.id, v.sku",
    ):
        lines[(platform, ext_id, sku)] = Line(
            int(qty), int(reserved_qty), int(oversold_qty), bool(holds), int(order_id)
        )
    return lines


def _order_problems(
    order: PlacedOrder,
    lines: dict[tuple[str, str, str], Line],
    deducted: dict[tuple[int, str], int],
    units: Units,
) -> list[Problem]:
    """What one order's lines should hold given its last status; adds its units to `units`."""
    problems: list[Problem] = []
    for sku, qty in order.lines.items():
        if order.status in SHIPPED:
            units.truth_shipped[sku] += qty
        elif order.status not in CANCELLED:
            units.truth_open[sku] += qty
        line = lines.get((order.platform, order.order_id, sku))
        if line is None:
            continue  # reported by imported_exactly_once
        took = deducted.get((line.order_db_id, sku), 0)
        if order.status in SHIPPED:
            units.ours_shipped[sku] += took + line.oversold_qty
            if took != line.reserved_qty or line.holds:
                problems.append(
                    {
                        "order": order.order_id,
                        "sku": sku,
                        "problem": "shipped_deduction",
                        "deducted": took,
                        "reserved": line.reserved_qty,
                    }
                )
        elif order.status in CANCELLED:
            if took or line.holds:
                problems.append({"order": order.order_id, "sku": sku, "problem": "cancelled_holds"})
        else:
            units.ours_open[sku] += (line.reserved_qty if line.holds else 0) + line.oversold_qty
            if took or not line.holds:
                problems.append({"order": order.order_id, "sku": sku, "problem": "open_not_held"})
    return problems


def _unit_problems(problem: str, truth: Counter[str], ours: Counter[str]) -> list[Problem]:
    """Per SKU: the units the platforms count equal the units StoreSync counts."""
    return [
        {"sku": sku, "problem": problem, "platforms": truth[sku], "storesync": ours[sku]}
        for sku in sorted(set(truth) | set(ours))
        if truth[sku] != ours[sku]
    ]
