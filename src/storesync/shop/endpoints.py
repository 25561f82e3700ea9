"""`/api/v1/shops`: connect through OAuth, list, import a shop's catalog.

Connecting is an admin's act (it grants StoreSync a seller's store); the OAuth callback is public
because the platform's consent page sends the seller's browser there, and the one-time state it
carries (shop/service.py) is what proves we started it, and for whom.
"""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from storesync.audit import service as audit
from storesync.auth.policy import ADMIN, OPERATOR, PUBLIC, VIEWER, Actor, MaybeActor
from storesync.db.base import utcnow
from storesync.db.engine import unit_of_work
from storesync.deps import (
    DEFAULT_PAGE_SIZE,
    ClientsDep,
    Db,
    Id,
    JobsDep,
    Limit,
    Offset,
    SessionFactory,
    SettingsDep,
)
from storesync.domain.platform import Platform
from storesync.job.records import new_job
from storesync.shop.lifecycle import authorization_warning
from storesync.shop.schemas import ConnectRequest, ConnectResponse, JobRef, ShopOut
from storesync.shop.service import ShopService

router = APIRouter(prefix="/api/v1/shops", tags=["shops"])


@router.post(
    "/connect",
    response_model=ConnectResponse,
    summary="Start connecting a shop",
    dependencies=[ADMIN],
)
def connect(
    body: ConnectRequest, db: Db, clients: ClientsDep, settings: SettingsDep, who: Actor
) -> ConnectResponse:
    service = ShopService(db, clients, settings.effective_public_url)
    url = service.start_connect(body.platform, who)
    audit.record(db, who, "shop.connect_start", body.platform.value)
    return ConnectResponse(authorization_url=url)


@router.get(
    "/callback/{platform}",
    response_class=HTMLResponse,
    summary="OAuth redirect target",
    dependencies=[PUBLIC],
)
def callback(
    platform: Platform,
    db: Db,
    factory: SessionFactory,
    clients: ClientsDep,
    settings: SettingsDep,
    jobs: JobsDep,
    signed_in: MaybeActor,
    code: Annotated[str, Query(min_length=1, max_length=512)],
    state: Annotated[str | None, Query(max_length=200)] = None,
    shop_id: Annotated[str | None, Query(max_length=64)] = None,
    main_account_id: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    hint = shop_id or (f"main:{main_account_id}" if main_account_id else None)
    with unit_of_work(factory) as spending:  # committed before the code exchange
        actor = ShopService(spending, clients, settings.effective_public_url).redeem_state(
            platform, state, signed_in
        )
    service = ShopService(db, clients, settings.effective_public_url)
    shops = service.complete_connect(platform, code, hint, actor)
    for shop in shops:
        jobs.send_after_commit(db, "catalog.import", shop_id=shop.id)
    names = ", ".join(shop.name for shop in shops)
    return HTMLResponse(
        f"<!doctype html><title>Connected</title><h1>Connected: {html.escape(names)}</h1>"
        '<p>Importing the catalog now. <a href="/">Back to StoreSync</a></p>'
    )


@router.get("", response_model=list[ShopOut], summary="Connected shops", dependencies=[VIEWER])
def list_shops(
    db: Db,
    clients: ClientsDep,
    settings: SettingsDep,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
) -> list[ShopOut]:
    window = timedelta(days=settings.authorization_warning_days)
    now = utcnow()
    return [
        ShopOut.model_validate(shop, from_attributes=True).model_copy(
            update={
                "authorization_warning": authorization_warning(
                    shop.authorization_expires_at, shop.refresh_expires_at, now, window
                )
            }
        )
        for shop in ShopService(db, clients, settings.effective_public_url).list(limit, offset)
    ]


@router.post(
    "/{shop_id}/import",
    response_model=JobRef,
    status_code=202,
    summary="Import catalog",
    dependencies=[OPERATOR],
)
def import_catalog(
    shop_id: Id, db: Db, clients: ClientsDep, settings: SettingsDep, jobs: JobsDep, who: Actor
) -> JobRef:
    ShopService(db, clients, settings.effective_public_url).get(shop_id)
    job_id = new_job(db, "import", shop_id)
    audit.record(db, who, "catalog.import", shop_id, after={"job_id": job_id})
    jobs.send_after_commit(db, "catalog.import", shop_id=shop_id, job_id=job_id)
    return JobRef(job_id=job_id)
