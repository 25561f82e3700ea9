"""Invariant 4, no oversell of what was known. Oversold units are reported with their orders.
One is *unexplained* (a violation) when the platform accepted it although StoreSync's last
confirmed push, at least 1 s older than the order and with no push in between, left fewer units
than that shop sold since (plus what cancellations there gave back in the minute before)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from bench.chaos.checks.base import CANCELLED, MAX_LISTED, Check, rows
from bench.chaos.history import History
from bench.chaos.traffic import PlacedOrder

Accepted = dict[tuple[str, str], float]  # (platform, order's external id) -> unix seconds


def check(
    engine: Engine,
    placed: list[PlacedOrder],
    history: History,
    clock_offsets: dict[str, float] | None = None,
) -> Check:
    oversold = rows(
        engine,
        "SELECT o.platform, o.external_id, o.shop_id, v.sku, v.id, ol.quantity, ol.oversold_qty "
        "FROM order_lines ol JOIN orders o ON o.id = ol.order_id "
        "JOIN variants v ON v.id = ol.variant_id WHERE ol.oversold_qty > 0",
    )
    listing_of = _listing_of(engine)
    by_id = {(o.platform, o.order_id): o for o in placed}
    accepted_from = _accepted_from(engine, clock_offsets or {})
    lines, unexplained = [], []
    for platform, ext_id, shop_id, sku, variant_id, qty, oversold_qty in oversold:
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
                entry | {"evidence": evidence(order, listing_id, sku, placed, history)}
            )
    return Check(
        "no_known_oversell",
        not unexplained,
        {
            "oversold_units": sum(int(r[6]) for r in oversold),
            "oversold_lines": lines[:MAX_LISTED],
            "unexplained": unexplained[:MAX_LISTED],
        },
    )


def _listing_of(engine: Engine) -> dict[tuple[int, int], int]:
    """(shop id, variant id) -> listing id."""
    return {
        (shop_id, variant_id): listing_id
        for listing_id, shop_id, variant_id in rows(
            engine, "SELECT id, shop_id, variant_id FROM listings"
        )
    }


def _accepted_from(engine: Engine, clock_offsets: dict[str, float]) -> Accepted:
    """The platform's own acceptance second (floored): [created, created + 1) brackets it, where
    the traffic's clock only bounds it from above (it reads the time after the answer). A
    platform whose clock the run set off ours is brought back by the offset the run set (ground
    truth, not StoreSync's estimate of it)."""
    return {
        (platform, ext_id): created.timestamp() - clock_offsets.get(str(platform), 0.0)
        for platform, ext_id, created in rows(
            engine, "SELECT platform, external_id, platform_created_at FROM orders"
        )
    }


def _explain(
    order: PlacedOrder,
    listing_id: int,
    sku: str,
    placed: list[PlacedOrder],
    history: History,
    accepted_from: Accepted,
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
    same_shop = [
        o
        for o in placed
        if o.platform == order.platform and o.shop_external_id == order.shop_external_id
    ]
    since = last.at.timestamp() + 1.0
    # Only orders certainly accepted after the push landed, and not after this one: the traffic
    # places orders one at a time (one thread, each after the previous answer), so one it placed
    # later was accepted later, even when the platform's floored second says "same second"
    # (common in a webhook storm: counting it would blame this order for the next one's unit).
    sold = sum(
        o.lines.get(sku, 0)
        for o in same_shop
        if since < earliest(o) <= accepted and o.created_at <= order.created_at
    )
    given_back = sum(
        o.lines.get(sku, 0)
        for o in same_shop
        if any(
            status in CANCELLED and last.at.timestamp() - 60 <= at <= accepted
            for at, status in o.moves
        )
    )
    if sold <= last.qty + given_back:
        return f"within the {last.qty} units last pushed (+{given_back} cancelled)"
    return _unconfirmed_push(history, listing_id, last.at.timestamp(), last.qty, accepted)


def _unconfirmed_push(
    history: History, listing_id: int, pushed_at: float, pushed_qty: int, accepted: float
) -> str | None:
    """The platform sold more than the last recorded push left: it took a write we have no
    confirmation of (the confirming transaction failed, e.g. PostgreSQL restarting, or the
    sampler missed a short-lived confirmation). Fine if that value was one StoreSync wanted at
    the time; a value above anything it wanted recently is a stale write: a violation (None)."""
    window = [p for p in history.timeline.get(listing_id, []) if pushed_at - 10 <= p[0] <= accepted]
    seen = [p[4] for p in window if p[4] is not None and p[0] >= pushed_at]
    wanted = max((p[1] for p in window), default=None)
    rose = max(seen, default=None)
    if rose is not None and rose > pushed_qty and wanted is not None and rose <= wanted:
        return (
            f"an unconfirmed push of {rose} (StoreSync wanted up to {wanted} then) landed after"
            f" the confirmed {pushed_qty}"
        )
    return None


def evidence(
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
