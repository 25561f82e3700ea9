"""`verify`: the database's own invariants, checked from its rows alone (docs/invariants.md).

The rules are the product's (domain/inventory.py): the ledger sums to on hand per variant and
warehouse; `reserved` equals the reserved units of the lines that still hold stock; `oversold`
only ever grows by what a line recorded as oversold, so it equals the lines' sum. The chaos bench
checks the first two the same way and more against the platforms' truth; this needs no platform.
Every check reads; nothing here writes, so it is safe against a serving database.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, func, not_, select
from sqlalchemy.orm import Session

from storesync.db.base import Base, utcnow
from storesync.db.models import (
    InventoryLevel,
    LedgerEntry,
    Listing,
    OrderLine,
    SyncCheckpoint,
    Variant,
)

# Checkpoints are our own clock's `now` (order/intake.py); a host whose clock runs a little ahead
# of the one verifying (NTP keeps them within milliseconds) must not read as corruption.
CLOCK_SLACK = timedelta(minutes=1)
LIVE_VARIANT = "active"  # Variant.status: the only status the catalog writes today


@dataclass(frozen=True)
class Violation:
    check: str  # e.g. ledger_sum
    subject: str  # what is wrong, as an operator names it: a SKU, a table and row id
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    counts: dict[str, int]
    checks: list[str]
    violations: list[Violation]

    @property
    def ok(self) -> bool:
        return not self.violations

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checks": self.checks,
            "counts": self.counts,
            "violations": [asdict(v) for v in self.violations],
        }


def verify(session: Session, now: datetime | None = None) -> Report:
    """Every check, each naming every row it finds wrong."""
    now = now or utcnow()
    checks = {
        "ledger_sum": ledger_sum,
        "reserved": reserved,
        "oversold": oversold,
        "stock_bounds": stock_bounds,
        "orphans": orphans,
        "listing_variant": listing_variant,
    }
    violations: list[Violation] = []
    for check in checks.values():
        violations += check(session)
    violations += checkpoints_in_future(session, now)
    return Report(row_counts(session), [*checks, "checkpoints"], violations)


def row_counts(session: Session) -> dict[str, int]:
    return {
        table.name: int(session.scalar(select(func.count()).select_from(table)) or 0)
        for table in Base.metadata.sorted_tables
    }


def _skus(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Variant.id, Variant.sku)).all())


def ledger_sum(session: Session) -> list[Violation]:
    """SUM(delta) per variant and warehouse equals on hand; a ledger with no level sums to 0."""
    ledger = {
        (variant_id, warehouse): int(total)
        for variant_id, warehouse, total in session.execute(
            select(
                LedgerEntry.variant_id, LedgerEntry.warehouse, func.sum(LedgerEntry.delta)
            ).group_by(LedgerEntry.variant_id, LedgerEntry.warehouse)
        )
    }
    levels = {
        (variant_id, warehouse): on_hand
        for variant_id, warehouse, on_hand in session.execute(
            select(InventoryLevel.variant_id, InventoryLevel.warehouse, InventoryLevel.on_hand)
        )
    }
    skus = _skus(session)
    return [
        Violation(
            "ledger_sum",
            skus.get(key[0], f"variant {key[0]}"),
            {"warehouse": key[1], "ledger": ledger.get(key, 0), "on_hand": levels.get(key, 0)},
        )
        for key in sorted(set(ledger) | set(levels))
        if ledger.get(key, 0) != levels.get(key, 0)
    ]


def _per_variant(session: Session, column: Any, *where: Any) -> dict[int, int]:
    query = select(OrderLine.variant_id, func.sum(column)).where(
        OrderLine.variant_id.is_not(None), *where
    )
    rows = session.execute(query.group_by(OrderLine.variant_id))
    return {int(variant_id): int(total) for variant_id, total in rows if variant_id is not None}


def _level_totals(session: Session, column: Any) -> dict[int, int]:
    """Per variant, summed over its warehouses (order lines name no warehouse)."""
    rows = session.execute(
        select(InventoryLevel.variant_id, func.sum(column)).group_by(InventoryLevel.variant_id)
    )
    return {int(variant_id): int(total) for variant_id, total in rows}


def _compare(
    session: Session, check: str, levels: dict[int, int], lines: dict[int, int]
) -> list[Violation]:
    skus = _skus(session)
    return [
        Violation(
            check,
            skus.get(variant_id, f"variant {variant_id}"),
            {"level": levels.get(variant_id, 0), "order_lines": lines.get(variant_id, 0)},
        )
        for variant_id in sorted(set(levels) | set(lines))
        if levels.get(variant_id, 0) != lines.get(variant_id, 0)
    ]


def reserved(session: Session) -> list[Violation]:
    """`reserved` equals the reserved units of the lines still holding stock (open orders)."""
    held = _per_variant(session, OrderLine.reserved_qty, OrderLine.holds_stock.is_(True))
    return _compare(session, "reserved", _level_totals(session, InventoryLevel.reserved), held)


def oversold(session: Session) -> list[Violation]:
    """`oversold` grows only by what a line records as oversold and never shrinks (a cancelled
    order's oversold units stay on record), so it equals every line's oversold units; and no
    line covers more units than it has."""
    lines = _per_variant(session, OrderLine.oversold_qty)
    found = _compare(session, "oversold", _level_totals(session, InventoryLevel.oversold), lines)
    overcovered = session.execute(
        select(OrderLine.id, OrderLine.sku, OrderLine.quantity).where(
            OrderLine.reserved_qty + OrderLine.oversold_qty > OrderLine.quantity
        )
    )
    return found + [
        Violation(
            "oversold", sku, {"order_line": line_id, "quantity": qty, "problem": "overcovered"}
        )
        for line_id, sku, qty in overcovered
    ]


def stock_bounds(session: Session) -> list[Violation]:
    """Nothing negative, and open orders never hold more than is on hand (domain.reserve)."""
    rows = session.execute(
        select(Variant.sku, InventoryLevel.on_hand, InventoryLevel.reserved, InventoryLevel.safety)
        .join(Variant, Variant.id == InventoryLevel.variant_id)
        .where(
            (InventoryLevel.on_hand < 0)
            | (InventoryLevel.reserved < 0)
            | (InventoryLevel.safety < 0)
            | (InventoryLevel.oversold < 0)
            | (InventoryLevel.reserved > InventoryLevel.on_hand)
        )
    )
    return [
        Violation("stock_bounds", sku, {"on_hand": on_hand, "reserved": held, "safety": safety})
        for sku, on_hand, held, safety in rows
    ]


def orphans(session: Session) -> list[Violation]:
    """Rows whose foreign key names a row that does not exist: SQLite enforces foreign keys only
    on connections that turned them on, and a restore or hand edit may not have."""
    found: list[Violation] = []
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            found += _orphans_of(session, table, fk.parent, fk.column)
    return found


def _orphans_of(session: Session, table: Table, column: Any, target: Any) -> list[Violation]:
    # Aliased, so a table referring to itself would still correlate with the outer row.
    parent = target.table.alias()
    missing = not_(select(parent).where(parent.c[target.name] == column).exists())
    ids = session.scalars(
        select(table.c.id).where(and_(column.is_not(None), missing)).order_by(table.c.id)
    ).all()
    return [
        Violation(
            "orphans",
            f"{table.name} {row_id}",
            {"column": column.name, "missing": target.table.name},
        )
        for row_id in ids
    ]


def listing_variant(session: Session) -> list[Violation]:
    """Every listing points at a variant that exists and is live (pushes read its stock)."""
    rows = session.execute(
        select(Listing.id, Listing.seller_sku, Listing.variant_id, Variant.status)
        .outerjoin(Variant, Variant.id == Listing.variant_id)
        .where(Variant.id.is_(None) | (Variant.status != LIVE_VARIANT))
        .order_by(Listing.id)
    )
    return [
        Violation(
            "listing_variant",
            sku,
            {"listing": listing_id, "variant": variant_id, "status": status or "missing"},
        )
        for listing_id, sku, variant_id, status in rows
    ]


def checkpoints_in_future(session: Session, now: datetime) -> list[Violation]:
    rows = session.execute(
        select(SyncCheckpoint.shop_id, SyncCheckpoint.resource, SyncCheckpoint.position).where(
            SyncCheckpoint.position > now + CLOCK_SLACK
        )
    )
    return [
        Violation(
            "checkpoints",
            f"shop {shop_id} {resource}",
            {"position": position.isoformat(), "now": now.isoformat()},
        )
        for shop_id, resource, position in rows
    ]
