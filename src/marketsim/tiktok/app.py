"""`create_app`: one FastAPI app serving the TikTok Shop API host, auth host and consent page.

One base URL works for everything, so a client configured with an API URL and an auth URL can
point both at the same simulator. `marketsim tiktok --port 8102` calls `create_app`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from marketsim.common import (
    CallLog,
    FaultInjector,
    FaultProfile,
    RateLimiter,
    SimClock,
    SimContext,
    WebhookSender,
    control_router,
)
from marketsim.tiktok import auth, errors, event, order, product
from marketsim.tiktok.config import TikTokConfig
from marketsim.tiktok.gateway import ConnectionGone
from marketsim.tiktok.platform import TikTokSim
from marketsim.tiktok.webhook import RETRY_SCHEDULE_S, make_signer


def create_app(
    *,
    app_key: str,
    app_secret: str,
    webhook_url: str | None = None,
    seed: int = 0,
    faults: FaultProfile | None = None,
    time_factor: float = 1.0,
    config: TikTokConfig | None = None,
    clock_offset_s: float = 0.0,
) -> FastAPI:
    """`seed` fixes generated ids; `faults.seed` (default: `seed`) fixes the fault sequence.

    `time_factor` scales webhook retry delays (2 min, 30 min, 3 h, 12 h): 0.001 turns them into
    0.12 s .. 43 s for tests. `config` holds token lifetimes, the consent redirect URL, etc.
    """
    config = config or TikTokConfig()
    profile = faults if faults is not None else FaultProfile(seed=seed)
    injector = FaultInjector(profile.model_copy(deep=True))
    sender = WebhookSender(
        make_signer(app_key, app_secret), injector, RETRY_SCHEDULE_S, time_factor
    )
    sender.url = webhook_url
    ctx = SimContext(
        clock=SimClock(clock_offset_s),
        faults=injector,
        calls=CallLog(),
        limiter=RateLimiter(),
        webhooks=sender,
        initial_faults=profile.model_copy(deep=True),
    )
    sim = TikTokSim(app_key=app_key, app_secret=app_secret, config=config, ctx=ctx, seed=seed)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await sender.start()
        try:
            yield
        finally:
            await sim.pushes.stop()
            await sender.stop()

    app = FastAPI(title="marketsim — TikTok Shop", lifespan=lifespan)
    app.state.sim = sim
    app.state.ctx = ctx

    @app.exception_handler(errors.TikTokError)
    async def platform_error(request: Request, exc: errors.TikTokError) -> JSONResponse:
        return sim.fail(request, exc)

    @app.exception_handler(ConnectionGone)
    async def connection_gone(request: Request, exc: ConnectionGone) -> Response:
        # The socket is already closed with a RST; this response is never delivered.
        return Response(status_code=500)

    @app.exception_handler(StarletteHTTPException)
    async def routing_error(request: Request, exc: StarletteHTTPException) -> Response:
        # Unknown paths and methods answer like the platform gateway; the control API keeps
        # FastAPI's plain errors.
        if request.url.path.startswith("/_sim"):
            return await http_exception_handler(request, exc)
        if exc.status_code == 404:
            return sim.fail(request, errors.TikTokError(errors.INVALID_PATH))
        if exc.status_code == 405:
            return sim.fail(request, errors.TikTokError(errors.INVALID_METHOD))
        return await http_exception_handler(request, exc)

    app.include_router(control_router(sim, ctx))
    for module in (auth, product, order, event):
        app.include_router(module.router(sim))
    return app
