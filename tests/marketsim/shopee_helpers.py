"""Test helpers for the Shopee simulator: an independent signer and a minimal client.

The signing here is written from docs/platforms/shopee.md, not imported from the simulator, so a
mistake shared by both sides cannot make them agree.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from tests.vectors import VECTORS_PATH

PARTNER_ID = 1000777
PARTNER_KEY = "test-partner-key-0123456789abcdef"


def shopee_vectors() -> list[dict[str, Any]]:
    data = json.loads(VECTORS_PATH.read_text())
    return [v for v in data["vectors"] if v["platform"] == "shopee"]


def doc_sign(partner_key: str, *parts: object) -> str:
    """docs/platforms/shopee.md#signing: hex HMAC-SHA256, key = the key's UTF-8 bytes, message =
    plain concat."""
    base = "".join(str(p) for p in parts)
    return hmac.new(partner_key.encode(), base.encode(), hashlib.sha256).hexdigest()


def doc_push_auth(partner_key: str, url: str, raw_body: bytes) -> str:
    """docs/platforms/shopee.md#webhooks: HMAC-SHA256(partner_key, url + "|" + raw body), hex."""
    return hmac.new(
        partner_key.encode(), url.encode() + b"|" + raw_body, hashlib.sha256
    ).hexdigest()


def wait_until(predicate: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


@dataclass
class Shop:
    shop_id: int
    access_token: str
    refresh_token: str


class Client:
    """The smallest honest Shopee client. Timestamps come from the simulator's clock, so tests
    that advance it still sign in time (a real client would use its own wall clock)."""

    def __init__(
        self,
        http: httpx.Client,
        partner_id: int = PARTNER_ID,
        partner_key: str = PARTNER_KEY,
    ) -> None:
        self.http = http
        self.partner_id = partner_id
        self.partner_key = partner_key
        self.shop: Shop | None = None
        self.app: Any = None  # the FastAPI app, for looking inside (app.state.sim)

    def now(self) -> int:
        return int(self.http.get("/_sim/clock").json()["now"])

    def call(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        *,
        public: bool = False,
        shop: Shop | None = None,
        access_token: str | None = None,
        timestamp: int | None = None,
        sign: str | None = None,
        drop: tuple[str, ...] = (),
    ) -> httpx.Response:
        ts = self.now() if timestamp is None else timestamp
        query: dict[str, Any] = {"partner_id": self.partner_id, "timestamp": ts}
        if public:
            query["sign"] = doc_sign(self.partner_key, self.partner_id, path, ts)
        else:
            target = shop or self.shop
            assert target is not None, "no shop selected"
            token = access_token or target.access_token
            query["access_token"] = token
            query["shop_id"] = target.shop_id
            query["sign"] = doc_sign(
                self.partner_key, self.partner_id, path, ts, token, target.shop_id
            )
        if sign is not None:
            query["sign"] = sign
        for name in drop:
            query.pop(name, None)
        query.update(params or {})
        if method == "GET":
            return self.http.get(path, params=query)
        return self.http.post(path, params=query, json=body or {})

    def ok(self, method: str, path: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        response = self.call(method, path, *args, **kwargs)
        payload = response.json()
        assert response.status_code == 200, payload
        assert payload["error"] == "", payload
        return dict(payload.get("response", payload))

    # -- control API -----------------------------------------------------------------------

    def new_shop(self, **body: Any) -> Shop:
        data = self.http.post("/_sim/shops", json=body).json()
        self.shop = Shop(int(data["shop_id"]), data["access_token"], data["refresh_token"])
        return self.shop

    def add_products(self, products: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
        assert self.shop is not None
        response = self.http.post(
            "/_sim/products", json={"shop_id": self.shop.shop_id, "products": products}
        )
        assert response.status_code == 200, response.text
        return dict(response.json()["skus"])

    def add_order(self, lines: dict[str, int], status: str | None = None) -> httpx.Response:
        assert self.shop is not None
        body: dict[str, Any] = {
            "shop_id": self.shop.shop_id,
            "lines": [{"sku": sku, "quantity": q} for sku, q in lines.items()],
        }
        if status is not None:
            body["status"] = status
        return self.http.post("/_sim/orders", json=body)

    def order(self, lines: dict[str, int], status: str | None = None) -> str:
        response = self.add_order(lines, status)
        assert response.status_code == 200, response.text
        return str(response.json()["order_id"])

    def move(self, order_sn: str, status: str) -> httpx.Response:
        return self.http.post(f"/_sim/orders/{order_sn}/status", json={"status": status})

    def stock(self) -> dict[str, dict[str, int]]:
        assert self.shop is not None
        return dict(self.http.get("/_sim/stock", params={"shop_id": self.shop.shop_id}).json())

    def advance(self, seconds: float) -> None:
        self.http.post("/_sim/clock", json={"advance_seconds": seconds}).raise_for_status()

    def webhook_state(self) -> dict[str, Any]:
        return dict(self.http.get("/_sim/webhook").json())

    def wait_pushes_settled(self) -> dict[str, Any]:
        """Wait until every push was delivered or given up; returns GET /_sim/webhook."""
        wait_until(lambda: bool(self.webhook_state()["idle"]))
        return self.webhook_state()

    def set_faults(self, profile: dict[str, Any]) -> None:
        self.http.put("/_sim/faults", json=profile).raise_for_status()


def product(name: str, *variants: tuple[str, float, int], **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "variants": [{"sku": s, "price": p, "stock": n} for s, p, n in variants],
        **extra,
    }
