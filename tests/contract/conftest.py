"""Each client against its simulator over real HTTP: one harness, parametrized over platforms.

The simulators run under uvicorn on free loopback ports in background threads (one per platform
for the session; state, faults and clock are reset before every test through `/_sim/reset`).
Tests speak only the neutral protocol to the client; the harness hides the few places where the
control API or the vendor's call-log paths differ.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from marketsim.common.server import BackgroundServer
from marketsim.shopee.app import create_app as create_shopee_app
from marketsim.tiktok.app import create_app as create_tiktok_app
from storesync.domain.platform import Platform
from storesync.marketplaces.base import ListingRef, MarketplaceClient, ShopCredentials, TokenSet
from storesync.marketplaces.http import Timeouts
from storesync.marketplaces.shopee import ShopeeAppConfig, ShopeeClient
from storesync.marketplaces.tiktok import TikTokAppConfig, TikTokClient

SHOPEE_PARTNER_ID = 2001887
SHOPEE_PARTNER_KEY = "contract-partner-key"
TIKTOK_APP_KEY = "contract-app-key"
TIKTOK_APP_SECRET = "contract-app-secret"

# Vendor paths as the simulators' call logs name them (tests may know them; src may not).
PATHS: dict[Platform, dict[str, str]] = {
    Platform.SHOPEE: {
        "list_products": "/api/v2/product/get_item_list",
        "update_stock": "/api/v2/product/update_stock",
        "list_orders": "/api/v2/order/get_order_list",
        "get_orders": "/api/v2/order/get_order_detail",
        "refresh": "/api/v2/auth/access_token/get",
    },
    Platform.TIKTOK: {
        "list_products": "/product/202309/products/search",
        "update_stock": "/product/202309/products/{product_id}/inventory/update",
        "list_orders": "/order/202309/orders/search",
        "get_orders": "/order/202309/orders",
        "refresh": "/api/v2/token/refresh",
    },
}


def app_config(platform: Platform, url: str, **overrides: Any) -> ShopeeAppConfig | TikTokAppConfig:
    timeouts = Timeouts(connect_s=2.0, read_s=overrides.pop("read_s", 5.0), write_s=5.0, pool_s=5.0)
    if platform is Platform.SHOPEE:
        key = overrides.pop("secret", SHOPEE_PARTNER_KEY)
        return ShopeeAppConfig(SHOPEE_PARTNER_ID, key, url, timeouts)
    secret = overrides.pop("secret", TIKTOK_APP_SECRET)
    return TikTokAppConfig(TIKTOK_APP_KEY, secret, url, url, timeouts=timeouts)


@dataclass
class Sim:
    """One running simulator and the test's hands on it."""

    platform: Platform
    server: BackgroundServer
    control: httpx.Client
    clock_offset: float = 0.0
    _clients: list[MarketplaceClient] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url

    def path(self, name: str) -> str:
        return PATHS[self.platform][name]

    # --- clients ---------------------------------------------------------------------------

    def now(self) -> float:
        """Our clients sign with the simulator's clock, which tests may move forward."""
        return time.time() + self.clock_offset

    def client(
        self,
        credentials: ShopCredentials | None = None,
        *,
        on_tokens: Callable[[TokenSet], None] | None = None,
        clock: Callable[[], float] | None = None,
        **config: Any,
    ) -> MarketplaceClient:
        app = app_config(self.platform, self.url, **config)
        cls: Any = ShopeeClient if self.platform is Platform.SHOPEE else TikTokClient
        client: MarketplaceClient = cls(
            app, credentials, on_tokens=on_tokens, clock=clock or self.now
        )
        self._clients.append(client)
        return client

    def close_clients(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()

    # --- control API -----------------------------------------------------------------------

    def _ok(self, response: httpx.Response) -> Any:
        assert response.status_code == 200, response.text
        return response.json()

    def create_shop(self, region: str | None = None) -> ShopCredentials:
        body = {"region": region} if region else {}
        shop = self._ok(self.control.post("/_sim/shops", json=body))
        now = datetime.fromtimestamp(self.now(), UTC)
        if self.platform is Platform.SHOPEE:
            tokens = TokenSet(
                shop["access_token"],
                shop["refresh_token"],
                now + timedelta(seconds=shop.get("expire_in", 4 * 3600)),
                now + timedelta(days=30),
            )
            return ShopCredentials(str(shop["shop_id"]), tokens)
        tokens = TokenSet(
            shop["access_token"],
            shop["refresh_token"],
            datetime.fromtimestamp(shop["access_token_expire_in"], UTC),
            datetime.fromtimestamp(shop["refresh_token_expire_in"], UTC),
        )
        return ShopCredentials(str(shop["shop_id"]), tokens, {"cipher": shop["shop_cipher"]})

    def create_products(
        self, shop: ShopCredentials, products: list[dict[str, Any]]
    ) -> dict[str, ListingRef]:
        """seller SKU -> where it lives on the platform."""
        answer = self._ok(
            self.control.post(
                "/_sim/products", json={"shop_id": shop.external_shop_id, "products": products}
            )
        )
        refs = {}
        for sku, ids in answer["skus"].items():
            if self.platform is Platform.SHOPEE:
                refs[sku] = ListingRef(str(ids["item_id"]), str(ids["model_id"]))
            else:
                refs[sku] = ListingRef(ids["product_id"], ids["sku_id"])
        return refs

    def create_order(
        self, shop: ShopCredentials, lines: Mapping[str, int], status: str | None = None
    ) -> str:
        body: dict[str, Any] = {
            "shop_id": shop.external_shop_id,
            "lines": [{"sku": sku, "quantity": qty} for sku, qty in lines.items()],
        }
        if status:
            body["status"] = status
        return str(self._ok(self.control.post("/_sim/orders", json=body))["order_id"])

    def set_faults(self, **profile: Any) -> None:
        self._ok(self.control.put("/_sim/faults", json=profile))

    def revoke(self, *tokens: str) -> None:
        self.set_faults(revoked_tokens=list(tokens))

    def calls(self, name: str, outcome: str | None = None) -> int:
        path = self.path(name)
        counts = self._ok(self.control.get("/_sim/calls")).get(path, {})
        return sum(n for o, n in counts.items() if outcome is None or o == outcome)

    def advance_clock(self, seconds: float) -> None:
        self._ok(self.control.post("/_sim/clock", json={"advance_seconds": seconds}))
        self.clock_offset += seconds

    def set_webhook_url(self, url: str | None) -> None:
        self._ok(self.control.put("/_sim/webhook", json={"url": url}))

    def reset(self) -> None:
        self.set_webhook_url(None)
        self._ok(self.control.post("/_sim/reset"))
        self.clock_offset = 0.0


def _start(app: Any) -> BackgroundServer:
    server = BackgroundServer(app)
    server.start()
    return server


@pytest.fixture(scope="session")
def servers() -> Iterator[dict[Platform, BackgroundServer]]:
    running = {
        Platform.SHOPEE: _start(
            create_shopee_app(partner_id=SHOPEE_PARTNER_ID, partner_key=SHOPEE_PARTNER_KEY)
        ),
        Platform.TIKTOK: _start(
            create_tiktok_app(app_key=TIKTOK_APP_KEY, app_secret=TIKTOK_APP_SECRET)
        ),
    }
    yield running
    for server in running.values():
        server.stop(timeout_s=5)


@pytest.fixture(params=[Platform.SHOPEE, Platform.TIKTOK], ids=["shopee", "tiktok"])
def sim(request: pytest.FixtureRequest, servers: dict[Platform, BackgroundServer]) -> Iterator[Sim]:
    platform: Platform = request.param
    server = servers[platform]
    with httpx.Client(base_url=server.url, timeout=10) as control:
        harness = Sim(platform, server, control)
        harness.reset()
        yield harness
        harness.close_clients()
        harness.reset()


# --- a webhook receiver --------------------------------------------------------------------------


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """A plain-stdlib endpoint that answers 200 with an empty body and keeps what it got."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self._arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with receiver._arrived:
                    receiver.deliveries.append(Delivery(self.path, dict(self.headers), raw))
                    receiver._arrived.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def wait(self, count: int = 1, timeout_s: float = 10.0) -> list[Delivery]:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.deliveries) >= count, timeout=timeout_s)
            return list(self.deliveries)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hooks = Receiver()
    yield hooks
    hooks.close()
