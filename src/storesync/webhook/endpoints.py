"""`POST /webhooks/shopee` and `POST /webhooks/tiktok`."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from storesync.bootstrap import Container
from storesync.db.engine import unit_of_work
from storesync.domain.platform import Platform
from storesync.webhook import batching, service

router = APIRouter(tags=["webhooks"])


def _handle(request: Request, platform: Platform, raw_body: bytes) -> Response:
    container: Container = request.app.state.container
    url = f"{container.settings.effective_public_url}/webhooks/{platform.value}"
    client = container.clients.for_app(platform)
    with unit_of_work(container.session_factory) as session:
        try:
            received = service.receive(
                session, client, platform, raw_body, dict(request.headers), url
            )
        except Exception:
            session.commit()  # keep the rejection record, then let the envelope handler answer
            raise
        if received.event_row_id is not None and received.shop_id is not None:
            batching.request_batch_after_commit(session, container.jobs, received.shop_id)
    # Shopee wants 2xx with an EMPTY body; TikTok is content with the same.
    return Response(status_code=200)


@router.post("/webhooks/shopee", summary="Shopee push receiver")
async def shopee(request: Request) -> Response:
    raw = await request.body()
    return await _run(request, Platform.SHOPEE, raw)


@router.post("/webhooks/tiktok", summary="TikTok Shop webhook receiver")
async def tiktok(request: Request) -> Response:
    raw = await request.body()
    return await _run(request, Platform.TIKTOK, raw)


async def _run(request: Request, platform: Platform, raw: bytes) -> Response:
    from starlette.concurrency import run_in_threadpool

    # The body must be read raw (signatures cover exact bytes), which needs an async endpoint;
    # the database work is synchronous, so it runs in the threadpool.
    return await run_in_threadpool(_handle, request, platform, raw)
