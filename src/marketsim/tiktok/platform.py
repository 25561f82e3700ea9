"""The simulated TikTok Shop as a whole: state, tokens, gateway and pushes, plus the control API.

`TikTokSim` is what the HTTP routers close over and what common's control router drives
(`SimPlatform`). Every order change, whether from the control API or elsewhere, goes through
here so that it always produces its type-1 push.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from marketsim.common import BadRequest, Conflict, NotFound, OutOfStock, SimContext
from marketsim.tiktok import errors
from marketsim.tiktok.config import TikTokConfig
from marketsim.tiktok.gateway import Gateway, route_path
from marketsim.tiktok.ids import IdFactory
from marketsim.tiktok.models import Order, Shop
from marketsim.tiktok.store import (
    NotEnoughStock,
    Refused,
    StoreError,
    TikTokStore,
    UnknownRecord,
    Variant,
)
from marketsim.tiktok.tokens import Grant, TokenStore
from marketsim.tiktok.webhook import Pushes, make_signer, order_status_payload

# Orders created through the control API without a status are paid and waiting to ship: the
# common case a seller imports. Pass "UNPAID" to start from the beginning of the lifecycle.
DEFAULT_ORDER_STATUS = "AWAITING_SHIPMENT"


class TikTokSim:
    def __init__(
        self,
        *,
        app_key: str,
        app_secret: str,
        config: TikTokConfig,
        ctx: SimContext,
        seed: int,
    ) -> None:
        self.app_key = app_key
        self.app_secret = app_secret
        self.config = config
        self.ctx = ctx
        self.ids = IdFactory(seed)
        self.store = TikTokStore(self.ids, ctx.clock.now, config.default_region)
        self.tokens = TokenStore(config, ctx.clock.now)
        self.gateway = Gateway(
            app_key=app_key,
            app_secret=app_secret,
            config=config,
            ctx=ctx,
            tokens=self.tokens,
            store=self.store,
        )
        self.sign_push = make_signer(app_key, app_secret)
        self.pushes = Pushes(ctx, self.sign_push)

    # --- responses ------------------------------------------------------------------------------
    def ok(self, request: Request, data: Any) -> JSONResponse:
        self.ctx.calls.record(route_path(request), "ok")
        return JSONResponse(errors.envelope(data))

    def fail(self, request: Request, error: errors.TikTokError) -> JSONResponse:
        self.ctx.calls.record(route_path(request), str(error.code))
        return JSONResponse(errors.error_envelope(error), status_code=error.http_status)

    # --- authorization --------------------------------------------------------------------------
    def grant_for(self, shop: Shop) -> Grant:
        return Grant(
            open_id=shop.open_id,
            seller_name=shop.name,
            seller_base_region=shop.region,
            shop_ids=(shop.id,),
            scopes=self.config.granted_scopes,
        )

    # --- pushes ---------------------------------------------------------------------------------
    def order_changed(self, order: Order) -> None:
        with self.store.lock:
            notification_id = self.ids.next("notification")
        payload = order_status_payload(order, notification_id, self.store.now())
        self.pushes.push(self.store.shops[order.shop_id], payload)

    # --- SimPlatform (control API) --------------------------------------------------------------
    def create_shop(self, name: str | None, region: str | None) -> dict[str, Any]:
        shop = self.store.add_shop(name, region)
        pair = self.tokens.issue_pair(self.grant_for(shop))
        return {
            "shop_id": shop.id,
            "access_token": pair.access_token,
            "refresh_token": pair.refresh_token,
            "shop_cipher": shop.cipher,
            "access_token_expire_in": pair.access_expires_at,
            "refresh_token_expire_in": pair.refresh_expires_at,
            "open_id": shop.open_id,
            "region": shop.region,
        }

    def create_products(self, shop_id: str, products: list[dict[str, Any]]) -> dict[str, Any]:
        with _translated():
            batch = [(str(p["name"]), [_variant(v) for v in p["variants"]]) for p in products]
            created = self.store.add_products(shop_id, batch)
        skus: dict[str, dict[str, str]] = {}
        for spec, product in zip(products, created, strict=True):
            # Optional extra field of the control API on this simulator.
            if isinstance(spec.get("description"), str):
                product.description = spec["description"]
            for sku in product.skus:
                skus[sku.seller_sku] = {"product_id": product.id, "sku_id": sku.id}
        return {"skus": skus}

    def create_order(self, shop_id: str, lines: list[dict[str, Any]], status: str | None) -> str:
        with _translated():
            order = self.store.create_order(
                shop_id,
                [(str(line["sku"]), int(line["quantity"])) for line in lines],
                (status or DEFAULT_ORDER_STATUS).upper(),
            )
        self.order_changed(order)
        return order.id

    def set_order_status(self, order_id: str, status: str) -> None:
        with _translated():
            order = self.store.set_order_status(order_id, status.upper())
        self.order_changed(order)

    def stock(self, shop_id: str) -> dict[str, dict[str, int]]:
        with _translated():
            return self.store.stock(shop_id)

    def reset(self) -> None:
        self.store.reset()
        self.tokens.reset()
        self.pushes.reset()


def _variant(raw: dict[str, Any]) -> Variant:
    try:
        price = Decimal(str(raw["price"]))
    except InvalidOperation as exc:
        raise StoreError(f"bad price {raw.get('price')!r}") from exc
    return Variant(str(raw["sku"]), price, int(raw["stock"]))


@contextmanager
def _translated() -> Iterator[None]:
    """Store errors -> the control API's HTTP statuses (common.errors)."""
    try:
        yield
    except NotEnoughStock as exc:
        raise OutOfStock(str(exc)) from exc
    except UnknownRecord as exc:
        raise NotFound(str(exc)) from exc
    except Refused as exc:
        raise Conflict(str(exc)) from exc
    except StoreError as exc:
        raise BadRequest(str(exc)) from exc
