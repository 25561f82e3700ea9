"""OAuth (docs/platforms/shopee.md#oauth, docs/platforms/shopee.md#tokens): consent page, code for
tokens, refresh.

- GET /api/v2/shop/auth_partner?partner_id&timestamp&sign&redirect — public-signed, valid 5
  minutes. Serves a consent page where a person picks a simulated shop (or a new one) and
  approves with a form POST to the same path; `&shop_id=N` approves shop N at once (302), for
  demos and tests. Either way the browser goes to `redirect?code=…&shop_id=…`.
- POST /api/v2/auth/token/get {code, partner_id, shop_id}: code single use, 10 minutes.
- POST /api/v2/auth/access_token/get {refresh_token, partner_id, shop_id}: refresh token single
  use; every refresh returns a new pair; the old access token lives 5 more minutes.
Token endpoints answer at the top level (no `response` wrapper), as Shopee does.

Errors: a bad, used or expired code or refresh token is `error_param` ("Invalid code." /
"Invalid refresh_token." / "refresh_token expired."). Revocation (FaultProfile.revoked_tokens)
is per token: a revoked access token answers `invalid_acceess_token` on shop calls while its
refresh token still works (the "refresh once" path); list the refresh token too to model a
seller who withdrew the authorisation (refresh answers `error_auth`). The consent page is a
browser page, so it is signed and counted in /_sim/calls but not faulted or rate limited.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from marketsim.shopee import errors
from marketsim.shopee.api import Call, ShopeeApi, int_param
from marketsim.shopee.errors import ShopeeError

AUTH_PARTNER = "/api/v2/shop/auth_partner"
TOKEN_GET = "/api/v2/auth/token/get"  # noqa: S105 - a path, not a secret
REFRESH = "/api/v2/auth/access_token/get"

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent.parent / "templates"),
    autoescape=True,
)


def with_query(url: str, **params: Any) -> str:
    """`url` with params appended, keeping any query it already has."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + [
        (k, str(v)) for k, v in params.items()
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


def register(api: ShopeeApi) -> None:
    store = api.store

    @api.router.get(AUTH_PARTNER, response_model=None)
    async def auth_partner(request: Request) -> Response:
        request_id = api.request_id()
        try:
            # The link is valid 5 minutes: exactly the timestamp tolerance of API calls.
            await api.verify(request, AUTH_PARTNER, "public")
            redirect = request.query_params.get("redirect")
            if not redirect:
                raise errors.param("redirect is required.")
            shop_param = request.query_params.get("shop_id")
            if shop_param:
                shop_id = int_param(shop_param, "shop_id")
                if shop_id not in store.shops:
                    raise errors.param(f"shop_id {shop_id} does not exist.")
                code = store.issue_code(shop_id)
                api.ctx.calls.record(AUTH_PARTNER, "ok")
                return RedirectResponse(with_query(redirect, code=code, shop_id=shop_id), 302)
        except ShopeeError as exc:
            api.ctx.calls.record(AUTH_PARTNER, exc.error)
            return api.error_response(request_id, exc)
        api.ctx.calls.record(AUTH_PARTNER, "ok")
        page = _templates.get_template("shopee_consent.html").render(
            partner_id=api.partner.partner_id,
            consent_id=store.new_consent(redirect),
            shops=sorted(store.shops.values(), key=lambda s: s.shop_id),
            redirect=redirect,
            action=AUTH_PARTNER,
        )
        return HTMLResponse(page)

    @api.router.post(AUTH_PARTNER, response_model=None)
    async def approve(request: Request) -> Response:
        """The consent form's POST: consent_id (from the page) and shop_id or "new"."""
        request_id = api.request_id()
        form = await request.form()
        try:
            redirect = store.take_consent(str(form.get("consent_id") or ""))
            choice = str(form.get("shop_id") or "new")
            if choice == "new":
                shop_id = int(store.create_shop(None, None)["shop_id"])
            else:
                shop_id = int_param(choice, "shop_id")
            if shop_id not in store.shops:
                raise errors.param(f"shop_id {shop_id} does not exist.")
            code = store.issue_code(shop_id)
        except ShopeeError as exc:
            return api.error_response(request_id, exc)
        return RedirectResponse(with_query(redirect, code=code, shop_id=shop_id), 303)

    @api.route(TOKEN_GET, "POST", "auth", auth="public", top_level=True)
    async def token_get(call: Call) -> dict[str, Any]:
        _check_body_partner(call)
        code = call.body.get("code")
        if not code or not isinstance(code, str):
            raise errors.param("code is required.")
        if call.body.get("main_account_id") is not None:
            raise errors.param("main_account_id login is not simulated; use shop_id.")
        shop_id = int_param(call.body.get("shop_id"), "shop_id")
        return store.exchange_code(code, shop_id)

    @api.route(REFRESH, "POST", "auth", auth="public", top_level=True)
    async def refresh(call: Call) -> dict[str, Any]:
        _check_body_partner(call)
        token = call.body.get("refresh_token")
        if not token or not isinstance(token, str):
            raise errors.param("refresh_token is required.")
        if call.body.get("merchant_id") is not None:
            raise errors.param("merchant_id refresh is not simulated; use shop_id.")
        shop_id = int_param(call.body.get("shop_id"), "shop_id")
        if api.ctx.faults.is_revoked(token):
            raise ShopeeError(errors.AUTH, "Invalid refresh_token.")
        pair = store.refresh(token, shop_id)
        return {"partner_id": call.partner_id, "shop_id": shop_id, **pair}


def _check_body_partner(call: Call) -> None:
    if int_param(call.body.get("partner_id"), "partner_id") != call.partner_id:
        raise errors.param("partner_id in the body does not match the query.")
