"""Shopee OAuth (docs/platforms/shopee.md#oauth, docs/platforms/shopee.md#tokens): the consent link,
the code exchange and token refresh.

Pure builders and readers; the client sends them. Lifetimes: access 4 h (`expire_in`), refresh
30 days and single use — Shopee does not return the refresh lifetime, so it is computed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from storesync.errors import ValidationError
from storesync.marketplaces.base import TokenSet
from storesync.marketplaces.shopee import signing
from storesync.marketplaces.shopee.config import ShopeeAppConfig
from storesync.marketplaces.shopee.schemas import TokenAnswer

CONSENT_PATH = "/api/v2/shop/auth_partner"
TOKEN_GET_PATH = "/api/v2/auth/token/get"  # noqa: S105 - a path, not a secret
TOKEN_REFRESH_PATH = "/api/v2/auth/access_token/get"  # noqa: S105 - a path
REFRESH_TOKEN_LIFETIME = timedelta(days=30)
# A main-account login (one code, many shops) is passed as shop_hint "main:<main_account_id>".
MAIN_ACCOUNT_PREFIX = "main:"


def with_state(redirect_url: str, state: str) -> str:
    """Shopee has no `state` parameter: carry it inside the redirect URL, which comes back."""
    parts = urlsplit(redirect_url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), ("state", state)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def authorization_url(app: ShopeeAppConfig, redirect_url: str, state: str, timestamp: int) -> str:
    query = {
        "partner_id": str(app.partner_id),
        "timestamp": str(timestamp),
        "sign": signing.sign_public(app.partner_key, app.partner_id, CONSENT_PATH, timestamp),
        "redirect": with_state(redirect_url, state),
    }
    return f"{app.base_url}{CONSENT_PATH}?{urlencode(query)}"


def token_get_body(app: ShopeeAppConfig, code: str, shop_hint: str | None) -> dict[str, Any]:
    if not shop_hint:
        raise ValidationError(
            "Shopee needs the shop_id (or main_account_id) from the consent redirect.",
            details={"platform": "shopee"},
        )
    body: dict[str, Any] = {"code": code, "partner_id": app.partner_id}
    key, raw = (
        ("main_account_id", shop_hint.removeprefix(MAIN_ACCOUNT_PREFIX))
        if shop_hint.startswith(MAIN_ACCOUNT_PREFIX)
        else ("shop_id", shop_hint)
    )
    try:
        body[key] = int(raw)
    except ValueError:
        raise ValidationError(
            f"Shopee {key} must be a number, got {raw!r}", details={"platform": "shopee"}
        ) from None
    return body


def refresh_body(app: ShopeeAppConfig, refresh_token: str, shop_id: str) -> dict[str, Any]:
    return {"refresh_token": refresh_token, "partner_id": app.partner_id, "shop_id": int(shop_id)}


def token_set(payload: Mapping[str, Any], now: datetime) -> TokenSet:
    answer = TokenAnswer.model_validate(payload)
    return TokenSet(
        access_token=answer.access_token,
        refresh_token=answer.refresh_token,
        access_expires_at=now + timedelta(seconds=answer.expire_in),
        refresh_expires_at=now + REFRESH_TOKEN_LIFETIME,
    )


def granted_shop_ids(payload: Mapping[str, Any], shop_hint: str) -> list[str]:
    """The shops one code covers: the shop itself, or every shop of a main account."""
    answer = TokenAnswer.model_validate(payload)
    if shop_hint.startswith(MAIN_ACCOUNT_PREFIX):
        return [str(shop_id) for shop_id in answer.shop_id_list]
    return [shop_hint]
