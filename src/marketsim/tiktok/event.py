"""Webhook subscriptions per shop: `GET/PUT/DELETE /event/202309/webhooks`
(docs/platforms/tiktok.md#webhooks)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from marketsim.tiktok import errors, params
from marketsim.tiktok.config import SCOPE_WEBHOOK
from marketsim.tiktok.gateway import Route, parse_json_body
from marketsim.tiktok.platform import TikTokSim
from marketsim.tiktok.webhook import EVENT_TYPES

EVENT_ROUTE = Route(family="event", scope=SCOPE_WEBHOOK)
BAD = errors.EVENT_INVALID_PARAMS


def _event_type(body: dict[str, Any]) -> str:
    event_type = params.optional_str(body, "event_type", BAD)
    if event_type not in EVENT_TYPES:
        raise errors.TikTokError(BAD, "Unknown `event_type`.")
    return event_type


def router(sim: TikTokSim) -> APIRouter:
    api = APIRouter()

    @api.get("/event/202309/webhooks")
    async def list_webhooks(request: Request) -> JSONResponse:
        caller = await sim.gateway.admit(request, EVENT_ROUTE)
        shop = caller.require_shop()
        hooks = [
            {
                "event_type": event_type,
                "address": address,
                "create_time": shop.webhook_create_times.get(event_type, 0),
            }
            for event_type, address in sorted(shop.webhook_addresses.items())
        ]
        return sim.ok(request, {"webhooks": hooks, "total_count": len(hooks)})

    @api.put("/event/202309/webhooks")
    async def put_webhook(request: Request) -> JSONResponse:
        caller = await sim.gateway.admit(request, EVENT_ROUTE)
        shop = caller.require_shop()
        body = parse_json_body(caller.body)
        event_type = _event_type(body)
        address = params.optional_str(body, "address", BAD)
        if not address or not address.startswith(("http://", "https://")):
            raise errors.TikTokError(BAD, "`address` must be an http(s) URL.")
        await sim.pushes.ensure_sender(address)
        shop.webhook_addresses[event_type] = address
        shop.webhook_create_times[event_type] = sim.store.now()
        return sim.ok(request, {})

    @api.delete("/event/202309/webhooks")
    async def delete_webhook(request: Request) -> JSONResponse:
        caller = await sim.gateway.admit(request, EVENT_ROUTE)
        shop = caller.require_shop()
        event_type = _event_type(parse_json_body(caller.body))
        shop.webhook_addresses.pop(event_type, None)
        shop.webhook_create_times.pop(event_type, None)
        return sim.ok(request, {})

    return api
