"""Nothing acknowledged is lost, at the door: every webhook delivery a simulator got a 2xx for is
in `webhook_events` (StoreSync stores a webhook before it answers 2xx), whatever happened to the
process that answered afterwards (a SIGKILLed `storesync serve` included).

Ground truth is the simulators' own record of every delivery attempt (`GET
/_sim/webhook/deliveries`: the sha256 of the exact bytes sent and the HTTP status). StoreSync
keeps the body it received as text, so the sha256 of each stored body (UTF-8) must cover every
acknowledged delivery's. A duplicate delivery or a retry sends the same bytes: one row covers all.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

from sqlalchemy import Engine

from bench.chaos.checks.base import MAX_LISTED, Check, rows
from bench.chaos.stack import ChaosStack

PAGE = 5000


def collect(stack: ChaosStack) -> dict[str, list[dict[str, Any]]]:
    """Every delivery attempt of each simulator, oldest first."""
    out: dict[str, list[dict[str, Any]]] = {}
    for platform, client in stack.sim.items():
        items: list[dict[str, Any]] = []
        after = 0
        while True:
            page = client.get(
                "/_sim/webhook/deliveries", params={"after": after, "limit": PAGE}
            ).json()
            items += page["deliveries"]
            if page["first_kept"] > 1:
                items.insert(0, {"truncated_before": page["first_kept"]})
            if not page["deliveries"] or page["next"] >= page["last"]:
                break
            after = page["next"]
        out[platform] = items
    return out


def check(engine: Engine, deliveries: dict[str, list[dict[str, Any]]]) -> Check:
    stored: dict[str, set[str]] = {}
    for platform, body in rows(engine, "SELECT platform, body FROM webhook_events"):
        stored.setdefault(str(platform), set()).add(hashlib.sha256(str(body).encode()).hexdigest())
    problems: list[dict[str, Any]] = []
    summary: dict[str, Any] = {}
    for platform, items in deliveries.items():
        truncated = [d for d in items if "truncated_before" in d]
        if truncated:
            problems.append({"platform": platform, "problem": "delivery record truncated"})
        attempts = [d for d in items if "seq" in d]
        statuses: Counter[str] = Counter(str(d.get("status")) for d in attempts)
        acked = [d for d in attempts if d.get("ok")]
        acked_bodies = {d["sha256"] for d in acked}
        missing = sorted(acked_bodies - stored.get(platform, set()))
        summary[platform] = {
            "attempts": len(attempts),
            "by_status": dict(sorted(statuses.items())),
            "acknowledged": len(acked),
            "acknowledged_distinct_bodies": len(acked_bodies),
            "missing": len(missing),
        }
        if missing:
            first = {d["sha256"]: d for d in reversed(acked)}
            problems.append(
                {
                    "platform": platform,
                    "problem": "acknowledged (2xx) but not in webhook_events",
                    "count": len(missing),
                    "examples": [
                        {
                            k: first[h].get(k)
                            for k in ("seq", "event_id", "attempt", "status", "at", "sha256")
                        }
                        for h in missing[:MAX_LISTED]
                    ],
                }
            )
    return Check(
        "webhooks_acknowledged_stored",
        not problems and bool(deliveries),
        {"by_platform": summary, "problems": problems[:MAX_LISTED]},
    )
