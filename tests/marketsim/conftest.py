"""Fixtures shared by the simulator tests (both platforms).

- `live_server(app)`: runs an ASGI app with uvicorn on a free loopback port in a background
  thread (real HTTP, real TCP resets); stopped at teardown.
- `webhook_receiver`: a plain-stdlib HTTP endpoint that records every raw webhook request and
  answers with a planned status sequence (e.g. [500, 500] then 200s), for retry tests.

Platform-specific helpers live beside them in `<platform>_helpers.py`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from marketsim.common.server import BackgroundServer
from marketsim.shopee.app import create_app as create_shopee_app
from tests.marketsim.shopee_helpers import PARTNER_ID, PARTNER_KEY
from tests.marketsim.shopee_helpers import Client as ShopeeClient


@pytest.fixture
def live_server() -> Iterator[Callable[[Any], BackgroundServer]]:
    servers: list[BackgroundServer] = []

    def start(app: Any) -> BackgroundServer:
        server = BackgroundServer(app)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """Records every request; answers `plan` statuses in turn, then `default_status`."""

    url: str = ""
    plan: list[int] = field(default_factory=list)
    default_status: int = 200
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def delivered(self) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if 200 <= h.status < 300]

    def wait(self, predicate: Callable[[WebhookReceiver], bool], timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not predicate(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"webhook receiver: condition not met; hits={self.hits}")
            time.sleep(0.01)

    def wait_delivered(self, count: int, timeout_s: float = 10.0) -> list[Hit]:
        self.wait(lambda r: len(r.delivered) >= count, timeout_s)
        return self.delivered


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    state = WebhookReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length", "0")))
            with state.lock:
                status = state.plan.pop(0) if state.plan else state.default_status
                state.hits.append(Hit(self.path, dict(self.headers.items()), raw, status))
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/push"
    # A short poll interval: shutdown() waits up to one interval (0.5 s by default) per test.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


# -- Shopee ------------------------------------------------------------------------------------


@pytest.fixture
def shopee_sim(
    live_server: Callable[[Any], BackgroundServer],
) -> Iterator[Callable[..., ShopeeClient]]:
    """Start a Shopee simulator over real HTTP: `shopee_sim(**create_app kwargs) -> Client`.

    Defaults: the test partner; time_factor 0.001, so push retries of 5 s .. 30 min take
    5 ms .. 1.8 s.
    """
    clients: list[ShopeeClient] = []

    def start(**kwargs: Any) -> ShopeeClient:
        kwargs.setdefault("partner_id", PARTNER_ID)
        kwargs.setdefault("partner_key", PARTNER_KEY)
        kwargs.setdefault("time_factor", 0.001)
        app = create_shopee_app(**kwargs)
        server = live_server(app)
        client = ShopeeClient(httpx.Client(base_url=server.url, timeout=10.0))
        client.app = app
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.http.close()


@pytest.fixture
def shopee(shopee_sim: Callable[..., ShopeeClient]) -> ShopeeClient:
    """A default Shopee simulator with one connected shop selected."""
    client = shopee_sim()
    client.new_shop()
    return client
