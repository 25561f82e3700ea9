"""The Shopee simulator as an ASGI app: `create_app(...)`, mounted by the CLI or by tests.

Rate-limit and fault families: auth (token endpoints, consent), shop, product (item reads,
update_price), stock (update_stock), order, push.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI

from marketsim.common.calls import CallLog
from marketsim.common.clock import SimClock
from marketsim.common.control import SimContext, control_router
from marketsim.common.faults import FaultInjector, FaultProfile
from marketsim.common.ratelimit import RateLimiter
from marketsim.common.webhooks import WebhookSender
from marketsim.shopee import auth, order, product, push, shop
from marketsim.shopee.api import Partner, ShopeeApi
from marketsim.shopee.store import ACCESS_TTL_S, REFRESH_TTL_S, ShopeeStore

DEFAULT_PARTNER_ID = 2001887
# Shopee's own demo key from its PHP auth example (docs/platforms/shopee.md#test-vectors): public,
# for local use only.
DEFAULT_PARTNER_KEY = "57615053704d6470644f554a78656d50484143644964436a5568777544524579"


def create_app(
    *,
    partner_id: int = DEFAULT_PARTNER_ID,
    partner_key: str = DEFAULT_PARTNER_KEY,
    webhook_url: str | None = None,
    seed: int = 0,
    faults: FaultProfile | None = None,
    time_factor: float = 1.0,
    access_ttl_s: float = ACCESS_TTL_S,
    refresh_ttl_s: float = REFRESH_TTL_S,
    retry_schedule_s: Sequence[float] = push.RETRY_SCHEDULE_S,
    push_timeout_s: float = 5.0,
    clock_offset_s: float = 0.0,
) -> FastAPI:
    """A fresh simulator; `app.state.sim` is its `ShopeeApi` (store, context) for tests."""
    profile = faults or FaultProfile(seed=seed)
    injector = FaultInjector(profile.model_copy(deep=True))
    clock = SimClock(clock_offset_s)
    store = ShopeeStore(clock, seed=seed, access_ttl_s=access_ttl_s, refresh_ttl_s=refresh_ttl_s)
    sender = WebhookSender(
        push.push_signer(partner_key),
        injector,
        retry_schedule_s,
        time_factor,
        on_lost=store.add_lost,
        timeout_s=push_timeout_s,
    )
    sender.url = webhook_url
    store.push = sender.send
    ctx = SimContext(
        clock=clock,
        faults=injector,
        calls=CallLog(),
        limiter=RateLimiter(),
        webhooks=sender,
        initial_faults=profile,
    )
    api = ShopeeApi(Partner(partner_id, partner_key), store, ctx)
    for module in (auth, shop, product, order, push):
        module.register(api)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await sender.start()
        try:
            yield
        finally:
            await sender.stop()

    app = FastAPI(
        title="marketsim: Shopee Open Platform v2",
        description="A local Shopee server for demos, tests and staging. Control API: /_sim/.",
        lifespan=lifespan,
    )
    app.include_router(api.router)
    app.include_router(control_router(store, ctx))
    app.state.sim = api
    return app
