"""The FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from storesync import __version__
from storesync.api import health
from storesync.api.envelope import install_error_handlers
from storesync.api.middleware import RequestContextMiddleware
from storesync.bootstrap import Container, build_container
from storesync.observability.metrics import REGISTRY


def create_app(container: Container | None = None) -> FastAPI:
    app = FastAPI(
        title="StoreSync",
        version=__version__,
        description="One catalog and one stock count for every Shopee and TikTok Shop shop.",
    )
    app.state.container = container or build_container()
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware)
    app.include_router(health.router)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return app
