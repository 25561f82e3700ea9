"""The fault gate every simulated API call passes first, before signing checks.

Faults model the network and the platform's servers, so they hit even badly signed calls, and a
"reset" or "timeout" never reaches the request's business logic. Both simulators call `gate`
and map the returned kind onto their own error envelope.
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import httpx

from marketsim.common.faults import FaultInjector
from marketsim.common.server import TRANSPORT_KEY, reset_connection


async def gate(faults: FaultInjector, family: str, scope: MutableMapping[str, Any]) -> str | None:
    """Apply latency, then return the injected fault kind ("5xx", "429", "timeout", "reset").

    None = serve the call normally. For "timeout" the call has already hung `hang_seconds`
    (over TCP) when this returns; in-process there is no client timeout to run into, so it
    raises httpx.ReadTimeout at once, which is what the client would have raised. For "reset"
    the connection is already gone; the caller only has to return something.
    """
    decision = faults.decide(family)
    if decision.latency_s > 0:
        await asyncio.sleep(decision.latency_s)
    if decision.kind == "timeout":
        if TRANSPORT_KEY not in (scope.get("extensions") or {}):
            raise httpx.ReadTimeout("marketsim: request timed out (simulated in-process)")
        await asyncio.sleep(decision.hang_seconds)
    elif decision.kind == "reset":
        await reset_connection(scope)
    return decision.kind
