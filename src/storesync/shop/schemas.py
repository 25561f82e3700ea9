"""API shapes for shops."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from storesync.domain.platform import Platform


class ConnectRequest(BaseModel):
    platform: Platform


class ConnectResponse(BaseModel):
    authorization_url: str


class ShopOut(BaseModel):
    id: int
    platform: str
    external_id: str
    name: str
    region: str | None
    status: str
    access_expires_at: datetime | None
    refresh_expires_at: datetime | None


class JobRef(BaseModel):
    job_id: int
