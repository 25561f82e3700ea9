"""What every Shopee API call goes through before its handler, in this order:

1. the fault gate (latency, 5xx, 429, timeout, reset) — faults model the network and servers;
2. the common query parameters: partner_id, timestamp (5 minutes either side of the simulated
   clock), sign (plus access_token and shop_id on shop calls), checked with signing.py;
3. the access token (unknown, expired or for another shop: error_auth; revoked by a fault:
   invalid_acceess_token);
4. the rate limit of the endpoint family, per shop (per partner for public calls);
5. the handler, whose dict becomes `response` (or the top level, for token endpoints).

Every outcome is counted in the call log under the API path: "ok", the error code, or the
injected fault kind.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import QueryParams

from marketsim.common.control import SimContext
from marketsim.common.gate import gate
from marketsim.shopee import errors, signing
from marketsim.shopee.errors import ShopeeError
from marketsim.shopee.store import ShopeeStore

TIMESTAMP_TOLERANCE_S = 300

Auth = Literal["shop", "public"]


@dataclass
class Call:
    """One verified call, as handlers see it."""

    request: Request
    query: QueryParams
    body: dict[str, Any]
    partner_id: int
    shop_id: int | None = None
    access_token: str | None = None

    @property
    def shop(self) -> int:
        assert self.shop_id is not None, "only shop calls have a shop_id"
        return self.shop_id


Handler = Callable[[Call], Awaitable[dict[str, Any]]]


@dataclass
class Partner:
    partner_id: int
    partner_key: str


class ShopeeApi:
    def __init__(self, partner: Partner, store: ShopeeStore, ctx: SimContext) -> None:
        self.partner = partner
        self.store = store
        self.ctx = ctx
        self.router = APIRouter()
        self._request_ids = 0

    def request_id(self) -> str:
        self._request_ids += 1
        return f"{self._request_ids:08x}{int(self.ctx.clock.now()):x}"

    def error_response(self, request_id: str, exc: ShopeeError) -> JSONResponse:
        body = {"request_id": request_id, "error": exc.error, "message": exc.message}
        return JSONResponse(body, status_code=exc.http_status)

    def route(
        self,
        path: str,
        method: Literal["GET", "POST"],
        family: str,
        *,
        auth: Auth = "shop",
        top_level: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Register `handler` for `path`; `top_level` puts its fields beside request_id."""

        def register(handler: Handler) -> Handler:
            async def endpoint(request: Request) -> Response:
                return await self.handle(request, path, family, auth, top_level, handler)

            self.router.add_api_route(
                path, endpoint, methods=[method], name=handler.__name__, include_in_schema=True
            )
            return handler

        return register

    async def handle(
        self,
        request: Request,
        path: str,
        family: str,
        auth: Auth,
        top_level: bool,
        handler: Handler,
    ) -> Response:
        request_id = self.request_id()
        try:
            kind = await gate(self.ctx.faults, family, request.scope)
        except Exception as exc:  # in-process reset/timeout: httpx errors raised to the client
            self.ctx.calls.record(path, type(exc).__name__)
            raise
        if kind is not None:
            self.ctx.calls.record(path, kind)
            return self._fault_response(request_id, kind)
        try:
            call = await self.verify(request, path, auth)
            if not self.ctx.limiter.allow(
                family,
                str(call.shop_id or f"partner:{call.partner_id}"),
                self.ctx.faults.profile.rate_limit(family),
            ):
                raise ShopeeError(errors.RATE_LIMIT, errors.MSG_RATE_LIMIT)
            result = await handler(call)
        except ShopeeError as exc:
            self.ctx.calls.record(path, exc.error)
            return self.error_response(request_id, exc)
        self.ctx.calls.record(path, "ok")
        if top_level:
            return JSONResponse({"request_id": request_id, "error": "", "message": "", **result})
        return JSONResponse(
            {"request_id": request_id, "error": "", "message": "", "response": result}
        )

    def _fault_response(self, request_id: str, kind: str) -> Response:
        if kind == "reset":
            return Response(status_code=500)  # the connection is already gone
        if kind == "429":
            exc = ShopeeError(errors.RATE_LIMIT, errors.MSG_RATE_LIMIT)
        elif kind == "timeout":
            exc = ShopeeError(errors.SERVER, errors.MSG_TIMEOUT, http_status=504)
        elif kind == "permission":
            exc = ShopeeError(errors.PERMISSION, errors.MSG_PERMISSION, http_status=403)
        else:
            exc = ShopeeError(errors.SERVER, errors.MSG_SERVER)
        return self.error_response(request_id, exc)

    async def verify(self, request: Request, path: str, auth: Auth) -> Call:
        """Steps 2 and 3 of the module docstring; raises ShopeeError."""
        query = request.query_params
        partner_id = self.check_partner(query)
        timestamp = self.check_timestamp(query)
        sign = query.get("sign")
        if not sign:
            raise errors.param(errors.MSG_NO_SIGN)
        key = self.partner.partner_key
        if auth == "public":
            expected = signing.public_sign(key, partner_id, path, timestamp)
            if not signing.verify(expected, sign):
                raise ShopeeError(errors.SIGN, errors.MSG_WRONG_SIGN)
            return Call(request, query, await self._body(request), partner_id)
        access_token = query.get("access_token")
        if not access_token:
            raise errors.param("There is no access_token in query.")
        shop_id = _int(query.get("shop_id"), "shop_id")
        expected = signing.shop_sign(key, partner_id, path, timestamp, access_token, shop_id)
        if not signing.verify(expected, sign):
            raise ShopeeError(errors.SIGN, errors.MSG_WRONG_SIGN)
        if self.ctx.faults.is_revoked(access_token):
            raise ShopeeError(errors.REVOKED, errors.MSG_INVALID_TOKEN)
        self.store.check_access(access_token, shop_id)
        return Call(request, query, await self._body(request), partner_id, shop_id, access_token)

    def check_partner(self, query: QueryParams) -> int:
        partner_id = _int(query.get("partner_id"), "partner_id")
        if partner_id != self.partner.partner_id:
            raise ShopeeError(errors.AUTH, errors.MSG_INVALID_PARTNER)
        return partner_id

    def check_timestamp(self, query: QueryParams) -> int:
        raw = query.get("timestamp")
        if not raw:
            raise errors.param(errors.MSG_NO_TIMESTAMP)
        try:
            timestamp = int(raw)
        except ValueError:
            raise errors.param(errors.MSG_INVALID_TIMESTAMP) from None
        now = self.ctx.clock.now()
        if timestamp < now - TIMESTAMP_TOLERANCE_S:
            raise errors.param(errors.MSG_TIMESTAMP_EXPIRED)
        # Future skew is undocumented; the same 5 minutes is allowed so small clock drift works.
        if timestamp > now + TIMESTAMP_TOLERANCE_S:
            raise errors.param(errors.MSG_INVALID_TIMESTAMP)
        return timestamp

    async def _body(self, request: Request) -> dict[str, Any]:
        if request.method != "POST":
            return {}
        raw = await request.body()
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except ValueError:
            raise errors.param("Request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise errors.param("Request body must be a JSON object.")
        return body


def _int(raw: object, name: str) -> int:
    if raw is None or raw == "":
        raise errors.param(f"There is no {name} in query.")
    try:
        return int(str(raw))
    except ValueError:
        raise errors.param(f"Invalid {name}.") from None


# -- parameter helpers for handlers ----------------------------------------------------------


def int_param(value: object, name: str, *, required: bool = True, default: int = 0) -> int:
    """An integer from query or body; missing/invalid -> error_param."""
    if value is None or value == "":
        if required:
            raise errors.param(f"{name} is required.")
        return default
    if isinstance(value, bool):
        raise errors.param(f"Invalid {name}.")
    try:
        return int(str(value))
    except ValueError:
        raise errors.param(f"Invalid {name}.") from None


def list_param(query: QueryParams, name: str) -> list[str]:
    """A list parameter: repeated keys and/or comma separated, as Shopee clients send both."""
    values: list[str] = []
    for raw in query.getlist(name):
        values.extend(part.strip() for part in raw.split(",") if part.strip())
    return values
