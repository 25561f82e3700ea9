"""The control API under `/_sim/`, the same for every simulator.

Tests, the demo and benchmarks drive a simulator through it: create connected shops, products
and orders, move orders, read stock, set the webhook URL and faults, read call counts and every
webhook delivery attempt, advance the clock, reset. A simulator supplies a `SimPlatform` (its
store) and a `SimContext` (its clock, faults, call log, rate limiter and webhook sender) and
mounts `control_router`.

Errors answer `{"detail": "..."}` with 400 (bad input), 404 (unknown shop/sku/order) or 409
(out of stock, illegal status move). The control API is never faulted, rate limited or logged
in `/_sim/calls`: it is the test's hand, not a client's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from marketsim.common.calls import CallLog
from marketsim.common.clock import SimClock
from marketsim.common.errors import SimError
from marketsim.common.faults import FaultInjector, FaultProfile
from marketsim.common.ratelimit import RateLimiter
from marketsim.common.webhooks import WebhookSender


class SimPlatform(Protocol):
    """What each simulator provides to the control API. Ids cross it as strings."""

    def create_shop(self, name: str | None, region: str | None) -> dict[str, Any]: ...

    def create_products(self, shop_id: str, products: list[dict[str, Any]]) -> dict[str, Any]: ...

    def create_order(
        self, shop_id: str, lines: list[dict[str, Any]], status: str | None
    ) -> str: ...  # raises OutOfStock -> 409

    def set_order_status(self, order_id: str, status: str) -> None: ...

    def stock(self, shop_id: str) -> dict[str, dict[str, int]]: ...

    def reset(self) -> None: ...


@dataclass
class SimContext:
    """The per-app machinery around a platform's state (one per simulator app)."""

    clock: SimClock
    faults: FaultInjector
    calls: CallLog
    limiter: RateLimiter
    webhooks: WebhookSender
    # What POST /_sim/reset goes back to: the start-up profile (--faults FILE).
    initial_faults: FaultProfile = field(default_factory=FaultProfile)


class _Open(BaseModel):
    # Platforms may accept extra per-item options (documented by each simulator).
    model_config = ConfigDict(extra="allow")


class ShopIn(_Open):
    name: str | None = None
    region: str | None = None


class VariantIn(_Open):
    sku: str = Field(min_length=1)
    price: float = Field(ge=0)
    stock: int = Field(ge=0)


class ProductIn(_Open):
    name: str = Field(min_length=1)
    variants: list[VariantIn] = Field(min_length=1)


class ProductsIn(BaseModel):
    shop_id: int | str
    products: list[ProductIn] = Field(min_length=1)


class LineIn(BaseModel):
    sku: str
    quantity: int = Field(gt=0)


class OrderIn(BaseModel):
    shop_id: int | str
    lines: list[LineIn] = Field(min_length=1)
    status: str | None = None


class StatusIn(BaseModel):
    status: str


class WebhookIn(BaseModel):
    url: str | None


class ClockIn(BaseModel):
    advance_seconds: float = Field(ge=0)


def _guarded(fn: Callable[[], Any]) -> JSONResponse | Any:
    try:
        return fn()
    except SimError as exc:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)


def control_router(platform: SimPlatform, ctx: SimContext) -> APIRouter:
    router = APIRouter(prefix="/_sim", tags=["simulator control"])

    @router.get("/health")
    async def health() -> dict[str, Any]:
        return {"ok": True, "now": ctx.clock.now()}

    @router.post("/shops")
    async def create_shop(body: ShopIn | None = None) -> Any:
        body = body or ShopIn()
        return _guarded(lambda: platform.create_shop(body.name, body.region))

    @router.post("/products")
    async def create_products(body: ProductsIn) -> Any:
        products = [p.model_dump() for p in body.products]
        return _guarded(lambda: platform.create_products(str(body.shop_id), products))

    @router.post("/orders")
    async def create_order(body: OrderIn) -> Any:
        lines = [line.model_dump() for line in body.lines]
        return _guarded(
            lambda: {"order_id": platform.create_order(str(body.shop_id), lines, body.status)}
        )

    @router.post("/orders/{order_id}/status")
    async def set_order_status(order_id: str, body: StatusIn) -> Any:
        def move() -> dict[str, Any]:
            platform.set_order_status(order_id, body.status)
            return {"order_id": order_id, "status": body.status}

        return _guarded(move)

    @router.get("/stock")
    async def stock(shop_id: str = Query()) -> Any:
        return _guarded(lambda: platform.stock(shop_id))

    @router.get("/webhook")
    async def get_webhook() -> dict[str, Any]:
        return {
            "url": ctx.webhooks.url,
            "stats": dict(ctx.webhooks.stats),
            "idle": ctx.webhooks.idle,
            "recent": list(ctx.webhooks.log),
        }

    @router.get("/webhook/deliveries")
    async def get_webhook_deliveries(
        after: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    ) -> dict[str, Any]:
        """Every delivery attempt numbered above `after` (read-only): the sha256 of the bytes
        sent, the event id if the payload has one, the attempt and the HTTP status."""
        return ctx.webhooks.deliveries_after(after, limit)

    @router.put("/webhook")
    async def put_webhook(body: WebhookIn) -> dict[str, Any]:
        ctx.webhooks.url = body.url
        return {"url": body.url}

    @router.get("/faults")
    async def get_faults() -> dict[str, Any]:
        return {**ctx.faults.profile.model_dump(), "injected": ctx.faults.injected_counts()}

    @router.put("/faults")
    async def put_faults(body: Annotated[dict[str, Any], Body()]) -> Any:
        body.pop("injected", None)  # so a GET can be edited and PUT back as it is
        try:
            profile = FaultProfile.model_validate(body)
        except ValidationError as exc:
            return JSONResponse(
                {"detail": exc.errors(include_url=False, include_context=False)}, status_code=422
            )
        ctx.faults.set_profile(profile)
        return {**profile.model_dump(), "injected": ctx.faults.injected_counts()}

    @router.get("/calls")
    async def calls() -> dict[str, dict[str, int]]:
        return ctx.calls.snapshot()

    @router.get("/clock")
    async def get_clock() -> dict[str, float]:
        return {"now": ctx.clock.now(), "offset": ctx.clock.offset}

    @router.post("/clock")
    async def advance_clock(body: ClockIn) -> dict[str, float]:
        ctx.clock.advance(body.advance_seconds)
        return {"now": ctx.clock.now(), "offset": ctx.clock.offset}

    @router.post("/reset")
    async def reset() -> dict[str, bool]:
        """Forget all state; faults go back to the start-up profile; the webhook URL stays."""
        platform.reset()
        ctx.clock.reset()
        ctx.calls.reset()
        ctx.limiter.reset()
        ctx.webhooks.reset()
        ctx.faults.set_profile(ctx.initial_faults.model_copy(deep=True))
        return {"ok": True}

    return router
