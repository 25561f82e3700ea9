"""Test helpers for the TikTok Shop simulator: a real-HTTP server and a minimal independent client.
(The webhook receiver and `live_server` are the shared fixtures in conftest.py.)

The signer here is written from the platform's documentation, not imported from the simulator,
so a shared mistake cannot make both sides agree.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from marketsim.common.server import BackgroundServer
from marketsim.tiktok.app import create_app
from tests.vectors import VECTORS_PATH

APP_KEY = "6a1b2c3d4e5f6"
APP_SECRET = "b7c0a1e2d3f40000b7c0a1e2d3f4"


def tiktok_vectors() -> list[dict[str, Any]]:
    data = json.loads(VECTORS_PATH.read_text())
    return [v for v in data["vectors"] if v["platform"] == "tiktok"]


def doc_sign(secret: str, path: str, query: dict[str, str], body: bytes = b"") -> str:
    """docv2 "Sign your API request", step by step."""
    keys = sorted(k for k in query if k not in ("sign", "access_token"))
    base = path + "".join(k + query[k] for k in keys)
    wrapped = secret.encode() + base.encode() + body + secret.encode()
    return hmac.new(secret.encode(), wrapped, hashlib.sha256).hexdigest()


def doc_webhook_auth(app_key: str, secret: str, raw_body: bytes) -> str:
    """docv2 webhook overview: HMAC-SHA256(app_secret, app_key + raw body), hex."""
    return hmac.new(secret.encode(), app_key.encode() + raw_body, hashlib.sha256).hexdigest()


@dataclass
class Shop:
    shop_id: str
    access_token: str
    refresh_token: str
    shop_cipher: str


class Api:
    """The smallest honest TikTok client: signs each call the documented way."""

    def __init__(self, base_url: str, shop: Shop | None = None) -> None:
        self.base_url = base_url
        self.shop = shop
        self.http = httpx.Client(base_url=base_url, timeout=10.0)
        # The client lives in simulated time: after `advance`, it signs with the sim's "now".
        self.clock_offset = 0.0

    def close(self) -> None:
        self.http.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        cipher: bool = True,
        token: str | None = None,
        timestamp: int | None = None,
        secret: str = APP_SECRET,
        sign: str | None = None,
    ) -> httpx.Response:
        params = {
            "app_key": APP_KEY,
            "timestamp": str(
                int(time.time() + self.clock_offset) if timestamp is None else timestamp
            ),
        }
        params.update(query or {})
        if cipher and self.shop is not None:
            params["shop_cipher"] = self.shop.shop_cipher
        raw = b"" if body is None else json.dumps(body).encode()
        params["sign"] = doc_sign(secret, path, params, raw) if sign is None else sign
        headers = {"content-type": "application/json"}
        access = token if token is not None else (self.shop.access_token if self.shop else "")
        if access:
            headers["x-tts-access-token"] = access
        return self.http.request(method, path, params=params, content=raw, headers=headers)

    def ok(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.call(method, path, **kwargs)
        payload = response.json()
        assert response.status_code == 200, payload
        assert payload["code"] == 0, payload
        return dict(payload["data"])

    # --- control API ---------------------------------------------------------------------------
    def new_shop(self, **body: Any) -> Shop:
        data = self.http.post("/_sim/shops", json=body).json()
        return Shop(
            data["shop_id"], data["access_token"], data["refresh_token"], data["shop_cipher"]
        )

    def add_products(self, shop: Shop, products: list[dict[str, Any]]) -> dict[str, Any]:
        response = self.http.post(
            "/_sim/products", json={"shop_id": shop.shop_id, "products": products}
        )
        assert response.status_code == 200, response.text
        return dict(response.json()["skus"])

    def add_order(self, shop: Shop, lines: dict[str, int], status: str | None = None) -> str:
        body: dict[str, Any] = {
            "shop_id": shop.shop_id,
            "lines": [{"sku": s, "quantity": q} for s, q in lines.items()],
        }
        if status is not None:
            body["status"] = status
        response = self.http.post("/_sim/orders", json=body)
        assert response.status_code == 200, response.text
        return str(response.json()["order_id"])

    def set_status(self, order_id: str, status: str) -> httpx.Response:
        return self.http.post(f"/_sim/orders/{order_id}/status", json={"status": status})

    def advance(self, seconds: float) -> None:
        self.http.post("/_sim/clock", json={"advance_seconds": seconds}).raise_for_status()
        self.clock_offset += seconds

    def reset(self) -> None:
        """Forget all simulator state (the clock included) and select no shop."""
        self.http.post("/_sim/reset").raise_for_status()
        self.clock_offset = 0.0
        self.shop = None


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    with BackgroundServer(app) as server:
        yield server.url


@contextmanager
def sim(**kwargs: Any) -> Iterator[Api]:
    """A simulator on a free loopback port plus a client for it (no shop selected)."""
    kwargs.setdefault("app_key", APP_KEY)
    kwargs.setdefault("app_secret", APP_SECRET)
    with serve(create_app(**kwargs)) as url:
        api = Api(url)
        try:
            yield api
        finally:
            api.close()
