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
    # Why sync is paused (an unrecoverable auth failure); cleared by reconnecting.
    paused_reason: str | None = None
    authorization_expires_at: datetime | None = None
    # Set when the grant or the refresh token ends within `authorization_warning_days`.
    authorization_warning: str | None = None
    # Webhook health: the last verified webhook, failures since, and the polling it implies.
    last_webhook_at: datetime | None = None
    webhook_failures: int = 0
    poll_mode: str = "normal"


class JobRef(BaseModel):
    job_id: int
