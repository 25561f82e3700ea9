"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from storesync import __version__
from storesync.api import health
from storesync.api.envelope import install_error_handlers
from storesync.api.middleware import RequestContextMiddleware
from storesync.bootstrap import Container, build_container
from storesync.breaker.endpoints import router as breakers
from storesync.catalog.endpoints import router as catalog
from storesync.deadletter.endpoints import router as deadletters
from storesync.inventory.endpoints import router as inventory
from storesync.job.endpoints import router as jobs
from storesync.observability.metrics import REGISTRY
from storesync.order.endpoints import router as orders
from storesync.reconcile.endpoints import router as reconcile
from storesync.shop.endpoints import router as shops
from storesync.webhook.endpoints import router as webhooks
from storesync.worker.embedded import Background

ROUTERS: tuple[APIRouter, ...] = (
    shops,
    jobs,
    inventory,
    orders,
    catalog,
    webhooks,
    reconcile,
    deadletters,
    breakers,
)


def create_app(container: Container | None = None, background: bool = False) -> FastAPI:
    """The app. With `background`, its lifespan runs the in-process worker and scheduler
    (the embedded default) when no external broker is configured."""
    app = FastAPI(
        lifespan=_lifespan if background else None,
        title="StoreSync",
        version=__version__,
        description="One catalog and one stock count for every Shopee and TikTok Shop shop.",
    )
    app.state.container = container = container or build_container()
    app.state.deps = container.request_deps()
    app.state.background = None
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware)
    app.include_router(health.router)
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        # No dashboard yet: the interactive API docs are the most useful page to land on.
        return RedirectResponse("/docs")

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    container: Container = app.state.container
    embedded = not container.settings.broker_url
    background = Background(
        container.broker,
        scheduler=container.scheduler() if embedded else None,
        run_worker=embedded,
        worker_threads=container.settings.worker_threads,
    )
    background.start()
    app.state.background = background
    try:
        yield
    finally:
        background.stop()
