"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse, RedirectResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from storesync import __version__
from storesync.api import hardening, health
from storesync.api.envelope import install_error_handlers
from storesync.audit.endpoints import router as audit
from storesync.auth.endpoints import router as access
from storesync.auth.policy import PUBLIC, VIEWER, MaybeActor
from storesync.auth.tokens import same
from storesync.bootstrap import Container, build_container
from storesync.breaker.endpoints import router as breakers
from storesync.catalog.endpoints import router as catalog
from storesync.config import ConfigurationError, Settings
from storesync.deadletter.endpoints import router as deadletters
from storesync.errors import AuthenticationError, NotFoundError
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
    access,
    audit,
)


def create_app(container: Container | None = None, background: bool = False) -> FastAPI:
    """The app. With `background`, its lifespan runs the in-process worker and scheduler
    (the embedded default) when no external broker is configured."""
    app = FastAPI(
        lifespan=_lifespan if background else None,
        title="StoreSync",
        version=__version__,
        description="One catalog and one stock count for every Shopee and TikTok Shop shop.",
        # Our own /docs and /openapi.json below: they follow the API's access rule.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.container = container = container or build_container()
    app.state.deps = container.request_deps()
    app.state.background = None
    install_error_handlers(app)
    hardening.install(app, container.settings)  # the request context among them
    app.include_router(health.router)
    for router in ROUTERS:
        app.include_router(router)

    _install_pages(app, container.settings)
    return app


def _install_pages(app: FastAPI, settings: Settings) -> None:
    if settings.metrics_access == "token" and not settings.metrics_token:
        raise ConfigurationError(
            "STORESYNC_METRICS_ACCESS=token needs STORESYNC_METRICS_TOKEN (the scraper's bearer)."
        )

    @app.get("/", include_in_schema=False, dependencies=[PUBLIC])
    def home() -> RedirectResponse:
        # No dashboard yet: the interactive API docs are the most useful page to land on.
        return RedirectResponse("/docs")

    @app.get("/openapi.json", include_in_schema=False, dependencies=[VIEWER])
    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=[PUBLIC])
    def docs(who: MaybeActor) -> Response:
        if who is None:  # a person in a browser: sign in first, then come back
            return RedirectResponse("/login?next=/docs", status_code=303)
        return get_swagger_ui_html(openapi_url="/openapi.json", title="StoreSync API")

    @app.get("/metrics", include_in_schema=False, dependencies=[PUBLIC])
    def metrics(request: Request) -> Response:
        # Public by default (Prometheus scrapes without credentials on a private network);
        # "token" wants the scraper's bearer, "off" hides it.
        if settings.metrics_access == "off":
            raise NotFoundError("No such resource.")
        if settings.metrics_access == "token":
            scheme, _, sent = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not same(sent.strip(), settings.metrics_token or ""):
                raise AuthenticationError("/metrics needs `Authorization: Bearer <metrics token>`.")
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


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
