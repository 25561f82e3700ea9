"""OAuth as TikTok Shop runs it: consent page -> `?code&state` -> token get / refresh; shop list.

The consent page stands in for services.tiktokshop.com (`/open/authorize?service_id&state`) and
the legacy auth.tiktok-shops.com (`/oauth/authorize?app_key&state`). A person picks a simulated
shop and approves; automation passes `shop_id` and is redirected at once. Token calls are the
unsigned GETs of the auth host (docs/platforms/tiktok.md#oauth); the shop list is a signed API call.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from marketsim.tiktok import errors, views
from marketsim.tiktok.config import SCOPE_AUTHORIZATION
from marketsim.tiktok.gateway import Route
from marketsim.tiktok.platform import TikTokSim
from marketsim.tiktok.tokens import TokenPair

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("marketsim", "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
)
CONSENT_PATHS = ("/oauth/authorize", "/open/authorize")
TOKEN_ROUTE = Route(family="auth")
SHOPS_ROUTE = Route(
    family="auth", scope=SCOPE_AUTHORIZATION, shop_scoped=False, cipher_rejected=True
)


def with_query(url: str, params: dict[str, str]) -> str:
    """Add `params` to a redirect URL, keeping any query it already has."""
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), *params.items()]
    return urlunsplit(parts._replace(query=urlencode(query)))


def token_data(pair: TokenPair) -> dict[str, Any]:
    grant = pair.grant
    return {
        "access_token": pair.access_token,
        "access_token_expire_in": pair.access_expires_at,
        "refresh_token": pair.refresh_token,
        "refresh_token_expire_in": pair.refresh_expires_at,
        "open_id": grant.open_id,
        "seller_name": grant.seller_name,
        "seller_base_region": grant.seller_base_region,
        "user_type": grant.user_type,
        "granted_scopes": list(grant.scopes),
    }


def router(sim: TikTokSim) -> APIRouter:
    api = APIRouter()

    def consent_page(params: dict[str, str], *, error: str = "", status: int = 200) -> Response:
        html = _TEMPLATES.get_template("tiktok_consent.html").render(
            shops=list(sim.store.shops.values()),
            params=params,
            error=error,
            app_key=sim.app_key,
        )
        return HTMLResponse(html, status_code=status)

    def approve(params: dict[str, str], shop_id: str) -> Response:
        if params.get("app_key") not in (None, "", sim.app_key):
            return consent_page(params, error="Unknown app_key.", status=400)
        redirect = params.get("redirect_uri") or sim.config.redirect_uri
        if not redirect:
            return consent_page(
                params, error="No redirect URL: pass redirect_uri or configure one.", status=400
            )
        shop = sim.store.shops.get(shop_id)
        if shop is None:
            return consent_page(params, error=f"Unknown shop {shop_id}.", status=400)
        code = sim.tokens.issue_code(sim.grant_for(shop))
        target = with_query(redirect, {"code": code, "state": params.get("state", "")})
        return RedirectResponse(target, status_code=302)

    async def show(request: Request) -> Response:
        params = dict(request.query_params)
        if params.get("shop_id"):
            return approve(params, params["shop_id"])
        if params.get("app_key") not in (None, "", sim.app_key):
            return consent_page(params, error="Unknown app_key.", status=400)
        return consent_page(params)

    async def submit(request: Request) -> Response:
        form = await request.form()
        params = {k: v for k, v in form.items() if isinstance(v, str)}
        if params.get("action") == "new_shop":
            shop_id = sim.store.add_shop(params.get("new_shop_name") or None, None).id
        else:
            shop_id = params.get("shop_id", "")
        return approve(params, shop_id)

    for path in CONSENT_PATHS:
        api.add_api_route(path, show, methods=["GET"], include_in_schema=False)
        api.add_api_route(path, submit, methods=["POST"], include_in_schema=False)

    def check_app(query: dict[str, str], grant_type: str) -> None:
        if query.get("app_key") != sim.app_key or query.get("app_secret") != sim.app_secret:
            raise errors.TikTokError(errors.INVALID_APP_CREDENTIALS)
        if query.get("grant_type") != grant_type:
            raise errors.TikTokError(errors.INVALID_GRANT_TYPE)

    @api.get("/api/v2/token/get")
    async def token_get(request: Request) -> JSONResponse:
        caller = await sim.gateway.admit(request, TOKEN_ROUTE)
        check_app(caller.query, "authorized_code")
        pair = sim.tokens.exchange_code(caller.query.get("auth_code", ""))
        return sim.ok(request, token_data(pair))

    @api.get("/api/v2/token/refresh")
    async def token_refresh(request: Request) -> JSONResponse:
        caller = await sim.gateway.admit(request, TOKEN_ROUTE)
        check_app(caller.query, "refresh_token")
        refresh_token = caller.query.get("refresh_token", "")
        if sim.ctx.faults.is_revoked(refresh_token):
            # A withdrawn grant leaves no auth record to refresh from: the platform refuses it.
            raise errors.TikTokError(errors.AUTH_RECORD_NOT_FOUND)
        pair = sim.tokens.refresh(refresh_token)
        return sim.ok(request, token_data(pair))

    @api.get("/authorization/202309/shops")
    async def shops(request: Request) -> JSONResponse:
        caller = await sim.gateway.admit(request, SHOPS_ROUTE)
        assert caller.token is not None
        found = [sim.store.shops[s] for s in caller.token.grant.shop_ids if s in sim.store.shops]
        return sim.ok(request, {"shops": [views.shop(s) for s in found]})

    return api
