"""`/api/v1/shops`: connect through OAuth, list, import a shop's catalog."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from storesync.config import Settings
from storesync.db.base import utcnow
from storesync.deps import ClientsDep, Db, JobsDep, SettingsDep
from storesync.domain.platform import Platform
from storesync.job.records import new_job
from storesync.shop.clients import ShopClients
from storesync.shop.lifecycle import authorization_warning
from storesync.shop.schemas import ConnectRequest, ConnectResponse, JobRef, ShopOut
from storesync.shop.service import ShopService

router = APIRouter(prefix="/api/v1/shops", tags=["shops"])


def _service(db: Session, clients: ShopClients, settings: Settings) -> ShopService:
    return ShopService(
        db,
        clients,
        settings.effective_public_url,
        state_key=settings.ensure_secret_key().encode(),
    )


@router.post("/connect", response_model=ConnectResponse, summary="Start connecting a shop")
def connect(
    body: ConnectRequest, db: Db, clients: ClientsDep, settings: SettingsDep
) -> ConnectResponse:
    url = _service(db, clients, settings).start_connect(body.platform)
    return ConnectResponse(authorization_url=url)


@router.get("/callback/{platform}", response_class=HTMLResponse, summary="OAuth redirect target")
def callback(
    platform: Platform,
    db: Db,
    clients: ClientsDep,
    settings: SettingsDep,
    jobs: JobsDep,
    code: Annotated[str, Query(min_length=1)],
    state: str | None = None,
    shop_id: str | None = None,
    main_account_id: str | None = None,
) -> HTMLResponse:
    hint = shop_id or (f"main:{main_account_id}" if main_account_id else None)
    shops = _service(db, clients, settings).complete_connect(platform, code, state, hint)
    db.flush()
    for shop in shops:
        jobs.send_after_commit(db, "catalog.import", shop_id=shop.id)
    names = ", ".join(shop.name for shop in shops)
    return HTMLResponse(
        f"<!doctype html><title>Connected</title><h1>Connected: {_escape(names)}</h1>"
        '<p>Importing the catalog now. <a href="/">Back to StoreSync</a></p>'
    )


@router.get("", response_model=list[ShopOut], summary="Connected shops")
def list_shops(db: Db, clients: ClientsDep, settings: SettingsDep) -> list[ShopOut]:
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
        for shop in _service(db, clients, settings).list()
    ]


@router.post("/{shop_id}/import", response_model=JobRef, status_code=202, summary="Import catalog")
def import_catalog(
    shop_id: int, db: Db, clients: ClientsDep, settings: SettingsDep, jobs: JobsDep
) -> JobRef:
    _service(db, clients, settings).get(shop_id)
    job_id = new_job(db, "import", shop_id)
    jobs.send_after_commit(db, "catalog.import", shop_id=shop_id, job_id=job_id)
    return JobRef(job_id=job_id)


def _escape(text: str) -> str:
    return html.escape(text)
