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
from storesync.observability.metrics import REGISTRY
from storesync.webhook.health import register_health_check as register_webhook_health


def create_app(container: Container | None = None, background: bool = False) -> FastAPI:
    """The app. With `background`, its lifespan runs the in-process worker and scheduler
    (the embedded default) when no external broker is configured."""
    app = FastAPI(
        lifespan=_lifespan if background else None,
        title="StoreSync",
        version=__version__,
        description="One catalog and one stock count for every Shopee and TikTok Shop shop.",
    )
    app.state.container = container or build_container()
    app.state.background = None
    register_webhook_health(app.state.container)
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware)
    app.include_router(health.router)
    for router in _feature_routers():
        app.include_router(router)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        # No dashboard yet: the interactive API docs are the most useful page to land on.
        return RedirectResponse("/docs")

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return app


def _feature_routers() -> list[APIRouter]:
    from storesync.catalog.endpoints import router as catalog
    from storesync.deadletter.endpoints import router as deadletters
    from storesync.inventory.endpoints import router as inventory
    from storesync.order.endpoints import router as orders
    from storesync.reconcile.endpoints import router as reconcile
    from storesync.resilience.endpoints import router as breakers
    from storesync.shop.endpoints import router as shops
    from storesync.sync.endpoints import router as jobs
    from storesync.webhook.endpoints import router as webhooks

    return [shops, jobs, inventory, orders, catalog, webhooks, reconcile, deadletters, breakers]


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    from storesync.worker.embedded import Background
    from storesync.worker.scheduler import Schedule

    container: Container = app.state.container
    embedded = not container.settings.broker_url
    settings = container.settings
    background = Background(
        container,
        run_worker=embedded,
        run_scheduler=embedded,
        worker_threads=settings.worker_threads,
        schedule=Schedule(settings.sweep_interval_s, settings.poll_interval_s),
    )
    background.start()
    app.state.background = background
    try:
        yield
    finally:
        background.stop()
