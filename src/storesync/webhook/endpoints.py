"""`POST /webhooks/shopee` and `POST /webhooks/tiktok`: public (the platforms sign, not log in)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from storesync.auth.policy import PUBLIC
from storesync.db.engine import unit_of_work
from storesync.deps import RequestDeps, request_deps
from storesync.domain.platform import Platform
from storesync.errors import AuthenticationError
from storesync.webhook import batching, service

router = APIRouter(tags=["webhooks"])


def _handle(
    deps: RequestDeps, platform: Platform, raw_body: bytes, headers: dict[str, str], remote: str
) -> None:
    url = f"{deps.settings.effective_public_url}/webhooks/{platform.value}"
    client = deps.clients.for_app(platform)
    with unit_of_work(deps.db) as session:
        received = service.receive(session, client, platform, raw_body, headers, url, remote)
        if received.event_row_id is not None and received.shop_id is not None:
            batching.request_batch_after_commit(session, deps.jobs, received.shop_id)
    # After the commit, which keeps the sample; a parked (unreadable) delivery is answered 200.
    if received.rejected:
        raise AuthenticationError("The webhook signature does not verify.")


@router.post("/webhooks/shopee", summary="Shopee push receiver", dependencies=[PUBLIC])
async def shopee(request: Request) -> Response:
    return await _run(request, Platform.SHOPEE)


@router.post("/webhooks/tiktok", summary="TikTok Shop webhook receiver", dependencies=[PUBLIC])
async def tiktok(request: Request) -> Response:
    return await _run(request, Platform.TIKTOK)


async def _run(request: Request, platform: Platform) -> Response:
    # The body must be read raw (signatures cover exact bytes), which needs an async endpoint;
    # the database work is synchronous, so it runs in the threadpool. The event is stored
    # (committed) before the 2xx: an acknowledged webhook is never lost.
    raw = await request.body()
    remote = request.client.host if request.client else ""
    deps = request_deps(request)
    await run_in_threadpool(_handle, deps, platform, raw, dict(request.headers), remote)
    # Shopee wants 2xx with an EMPTY body; TikTok is content with the same.
    return Response(status_code=200)
