"""A whole StoreSync on the embedded default against both simulators, over real HTTP, in-process.

Used by the end-to-end tests: `Stack` starts the Shopee and TikTok simulators and StoreSync (API,
in-process worker, scheduler), connects shops through the real OAuth flow, and offers the few
waits a test needs. Everything listens on loopback ports chosen by the OS.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from marketsim.common.server import BackgroundServer
from marketsim.shopee.app import create_app as create_shopee
from marketsim.tiktok.app import create_app as create_tiktok
from storesync.api.app import create_app
from storesync.bootstrap import build_container
from storesync.config import Settings
from storesync.db.migrate import upgrade
from storesync.testing.auth import bearer, issue_key
from storesync.testing.oauth import connect_shop
from storesync.testing.ports import free_port
from storesync.testing.sims import AppCredentials
from storesync.testing.waiting import wait_until as wait_for

PARTNER_ID, PARTNER_KEY = 2001887, "e2e-partner-key"
APP_KEY, APP_SECRET = "e2e-app", "e2e-app-secret"
CREDENTIALS = AppCredentials(PARTNER_ID, PARTNER_KEY, APP_KEY, APP_SECRET)


class AppServer:
    """uvicorn in a thread on a port we picked first (our public URL must be known up front)."""

    def __init__(self, app: Any, port: int) -> None:
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        wait_for(lambda: self.server.started, timeout_s=15, what="StoreSync to start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@dataclass
class Sim:
    name: str
    server: BackgroundServer
    http: httpx.Client

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.http.post(path, json=body)
        response.raise_for_status()
        return response.json()

    def stock(self, shop_id: str) -> dict[str, dict[str, int]]:
        response = self.http.get("/_sim/stock", params={"shop_id": shop_id})
        response.raise_for_status()
        result: dict[str, dict[str, int]] = response.json()
        return result


@dataclass
class Stack:
    tmp: Path
    database_url: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    servers: list[BackgroundServer] = field(default_factory=list)

    def start(self) -> Stack:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.shopee = self._sim(
            "shopee",
            create_shopee(
                partner_id=PARTNER_ID,
                partner_key=PARTNER_KEY,
                webhook_url=f"{self.url}/webhooks/shopee",
            ),
        )
        self.tiktok = self._sim(
            "tiktok",
            create_tiktok(
                app_key=APP_KEY, app_secret=APP_SECRET, webhook_url=f"{self.url}/webhooks/tiktok"
            ),
        )
        self.settings = Settings(
            data_dir=self.tmp,
            database_url=self.database_url,
            port=port,
            public_url=self.url,
            **CREDENTIALS.settings(self.shopee.server.url, self.tiktok.server.url),
            **({"sweep_interval_s": 1.0, "poll_interval_s": 2.0} | self.overrides),
        )
        upgrade(self.settings.effective_database_url)
        self.container = build_container(self.settings)
        # Every /api/v1 route wants a key; the tests act as an admin.
        self.key = issue_key(self.container.session_factory, name="e2e")
        self.app = create_app(self.container, background=True)
        self.storesync = AppServer(self.app, port)
        self.storesync.start()
        self.api = httpx.Client(base_url=self.url, headers=bearer(self.key), timeout=30)
        return self

    def reschedule(self, **intervals: float) -> None:
        """Change the running scheduler's intervals (e.g. `reconcile_interval_s=0.5`)."""
        scheduler = self.app.state.background.scheduler
        scheduler.schedule = dataclasses.replace(scheduler.schedule, **intervals)

    def _sim(self, name: str, app: Any) -> Sim:
        server = BackgroundServer(app)
        server.start()
        self.servers.append(server)
        return Sim(name, server, httpx.Client(base_url=server.url, timeout=30))

    def stop(self) -> None:
        self.storesync.stop()
        for client in (self.api, self.shopee.http, self.tiktok.http):
            client.close()
        for server in reversed(self.servers):
            server.stop()
        self.container.close()

    def connect(self, sim: Sim, name: str) -> dict[str, Any]:
        """Create a shop on the simulator, then connect it through StoreSync's real OAuth flow."""
        created = sim.post("/_sim/shops", {"name": name})
        return connect_shop(self.api, sim.name, str(created["shop_id"])) | {"sim": created}

    def wait_jobs_done(self, kind: str, count: int) -> None:
        def done() -> bool:
            jobs = self.api.get("/api/v1/jobs", params={"kind": kind}).json()
            finished = [j for j in jobs if j["status"] in {"succeeded", "partial", "failed"}]
            return len(finished) >= count

        wait_for(done, what=f"{count} {kind} jobs")


CATALOG = [
    {
        "name": "Linen shirt",
        "variants": [
            {"sku": "SHIRT-S", "price": "19.90", "stock": 10},
            {"sku": "SHIRT-M", "price": "19.90", "stock": 5},
        ],
    },
    {"name": "Canvas tote", "variants": [{"sku": "TOTE", "price": "9.50", "stock": 3}]},
]


@dataclass
class Connected:
    """One Shopee and one TikTok shop, connected and imported, listing CATALOG."""

    shopee: dict[str, Any]
    tiktok: dict[str, Any]

    @property
    def shopee_sim_id(self) -> str:
        return str(self.shopee["sim"]["shop_id"])

    @property
    def tiktok_sim_id(self) -> str:
        return str(self.tiktok["sim"]["shop_id"])


def connect_two_shops(stack: Stack, catalog: list[dict[str, Any]] = CATALOG) -> Connected:
    shopee = stack.connect(stack.shopee, "Shopee One")
    stack.shopee.post("/_sim/products", {"shop_id": shopee["sim"]["shop_id"], "products": catalog})
    tiktok = stack.connect(stack.tiktok, "TikTok One")
    stack.tiktok.post("/_sim/products", {"shop_id": tiktok["sim"]["shop_id"], "products": catalog})
    # Connecting enqueued an import before the products existed; import again now.
    for shop in (shopee, tiktok):
        assert stack.api.post(f"/api/v1/shops/{shop['id']}/import").status_code == 202
    stack.wait_jobs_done("import", 4)
    return Connected(shopee, tiktok)


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment a separate `storesync` process needs to join this stack."""
    env = {}
    for name, value in settings.model_dump().items():
        if value is not None:
            env[f"STORESYNC_{name.upper()}"] = str(value)
    if settings.database_url is None:
        env["STORESYNC_DATABASE_URL"] = settings.effective_database_url
    env["STORESYNC_SECRET_KEY"] = settings.ensure_secret_key()
    return env
