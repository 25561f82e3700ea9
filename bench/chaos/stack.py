"""StoreSync scaled out (serve, two workers, one scheduler) and both simulators, as OS processes
on loopback, wired to a fresh PostgreSQL database and a dedicated Redis DB; shops connected
through the real OAuth flow."""

from __future__ import annotations

import base64
import functools
import random
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.chaos.services import Procs, http_ok, wait_until
from storesync.db.engine import make_engine, make_session_factory
from storesync.testing.auth import bearer, issue_key
from storesync.testing.oauth import connect_shop
from storesync.testing.ports import free_port
from storesync.testing.sims import PLATFORMS, AppCredentials, simulator_args

CREDENTIALS = AppCredentials(2001887, "chaos-partner-key", "chaos-app", "chaos-app-secret")
SIM_TIME_FACTOR = "0.1"  # webhook retries and delays 10x faster (TikTok's 2 min retry: 12 s)
WORKERS = ("worker-1", "worker-2")


@dataclass(frozen=True)
class Shop:
    id: int  # StoreSync's id
    platform: str
    external_id: str  # the simulator's shop id


@dataclass(frozen=True)
class StackOptions:
    database_url: str
    redis_url: str | None  # None: the embedded default (in-process worker and scheduler)
    run_dir: Path
    seed: int
    worker_threads: int = 4
    poll_interval_s: float = 5.0
    sweep_interval_s: float = 2.0
    # Scaled out: the URLs serve + scheduler and the workers reach PostgreSQL at (the proxy).
    app_database_url: str | None = None
    worker_database_url: str | None = None
    # Platform clock minus ours, seconds: a start-up option for one simulator, a POST
    # /_sim/clock right after start for the other (the simulators' tolerance is 300 s).
    clock_offsets: dict[str, float] = field(default_factory=dict)

    @property
    def embedded(self) -> bool:
        return self.redis_url is None


@dataclass
class ChaosStack:
    options: StackOptions
    procs: Procs = field(init=False)
    shops: list[Shop] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.sim_urls = {"shopee": "", "tiktok": ""}
        self.secret_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        (self.options.run_dir / "logs").mkdir(parents=True, exist_ok=True)
        self.metrics_dir = self.options.run_dir / "metrics"
        self.metrics_dir.mkdir(exist_ok=True)
        self.procs = Procs(self.options.run_dir / "logs", {})
        self.api = httpx.Client(base_url=self.url, timeout=30)  # the admin key once serving
        self.api_headers: dict[str, str] = {}
        self.sim: dict[str, httpx.Client] = {}

    # --- start ---------------------------------------------------------------------------------

    def start(self) -> None:
        for platform in PLATFORMS:
            port = free_port()
            self.sim_urls[platform] = f"http://127.0.0.1:{port}"
            hook = f"{self.url}/webhooks/{platform}"
            extra = ["--seed", str(self.options.seed), "--time-factor", SIM_TIME_FACTOR]
            offset = self.options.clock_offsets.get(platform, 0.0)
            if offset < 0:  # behind: only a start-up option can do that (the clock never goes back)
                extra += ["--clock-offset-s", str(offset)]
            self.procs.start(platform, simulator_args(platform, port, CREDENTIALS, hook, *extra))
            self.sim[platform] = httpx.Client(base_url=self.sim_urls[platform], timeout=15)
        self.procs.env = self.env()
        if self.options.embedded:
            self.procs.unset = ("STORESYNC_REDIS_URL", "STORESYNC_BROKER_URL")
        self.start_serve()
        for platform in PLATFORMS:
            health = f"{self.sim_urls[platform]}/_sim/health"
            wait_until(functools.partial(http_ok, health), 30, f"the {platform} simulator")
            offset = self.options.clock_offsets.get(platform, 0.0)
            if offset > 0:  # ahead: advanced right after it started
                body = {"advance_seconds": offset}
                _ok(self.sim[platform].post("/_sim/clock", json=body))
        self.wait_serving()
        self.authorize()
        if self.options.embedded:
            return  # serve runs the worker and the scheduler in its own process
        for name in WORKERS:
            self.start_worker(name)
        self.procs.start("scheduler", ["-m", "storesync.cli", "scheduler"], self._app_db_env())

    def wait_serving(self, timeout_s: float = 60) -> None:
        wait_until(lambda: http_ok(f"{self.url}/api/health"), timeout_s, "storesync serve")

    def authorize(self) -> None:
        """Every /api/v1 route wants a key: one admin key for the run, made in the database
        itself (serve has migrated it by the time it answers), so every process accepts it."""
        engine = make_engine(self.options.database_url)
        try:
            key = issue_key(make_session_factory(engine), name="chaos")
        finally:
            engine.dispose()
        self.api_headers = bearer(key)
        self.api.headers.update(self.api_headers)

    def start_serve(self) -> None:
        self.procs.start("serve", ["-m", "storesync.cli", "serve"], self._app_db_env())

    def start_worker(self, name: str) -> None:
        env = {}
        if self.options.worker_database_url:
            env["STORESYNC_DATABASE_URL"] = self.options.worker_database_url
        self.procs.start(
            name,
            ["-m", "storesync.cli", "worker", "--threads", str(self.options.worker_threads)],
            env,
        )

    def _app_db_env(self) -> dict[str, str]:
        url = self.options.app_database_url
        return {"STORESYNC_DATABASE_URL": url} if url else {}

    def sim_clocks(self) -> dict[str, float]:
        """Each simulator's clock offset as it reports it (platform minus real time)."""
        return {p: float(_ok(c.get("/_sim/clock"))["offset"]) for p, c in self.sim.items()}

    def env(self) -> dict[str, str]:
        o = self.options
        shared = (
            {}
            if o.redis_url is None
            else {
                "STORESYNC_REDIS_URL": o.redis_url,
                "STORESYNC_BROKER_URL": o.redis_url,
            }
        )
        return {
            "STORESYNC_DATABASE_URL": o.database_url,
            **shared,
            "STORESYNC_SECRET_KEY": self.secret_key,
            "STORESYNC_DATA_DIR": str(o.run_dir / "data"),
            "STORESYNC_HOST": "127.0.0.1",
            "STORESYNC_PORT": str(self.port),
            "STORESYNC_PUBLIC_URL": self.url,
            "STORESYNC_POLL_INTERVAL_S": str(o.poll_interval_s),
            "STORESYNC_SWEEP_INTERVAL_S": str(o.sweep_interval_s),
            # The run asks for its one reconciliation pass itself, after the faults stop.
            "STORESYNC_RECONCILE_INTERVAL_S": "0",
            "STORESYNC_LOG_FORMAT": "json",
            "STORESYNC_LOG_LEVEL": "INFO",
            **CREDENTIALS.environment(self.sim_urls["shopee"], self.sim_urls["tiktok"]),
            # Every process writes its counters here; the run adds them up at the end.
            "PROMETHEUS_MULTIPROC_DIR": str(self.metrics_dir),
        }

    # --- shops and catalog ------------------------------------------------------------------

    def connect(self, platform: str, name: str, catalog: list[dict[str, Any]]) -> Shop:
        """Create the shop and its products on the simulator, then connect it through OAuth."""
        sim = self.sim[platform]
        created = _ok(sim.post("/_sim/shops", json={"name": name}))
        external_id = str(created["shop_id"])
        _ok(sim.post("/_sim/products", json={"shop_id": external_id, "products": catalog}))
        shop_id = int(connect_shop(self.api, platform, external_id)["id"])
        shop = Shop(shop_id, platform, external_id)
        self.shops.append(shop)
        # Imports one at a time: the first seeds the master catalog, the next ones link to it.
        wait_until(lambda: self._imported(shop_id), 60, f"the {platform} catalog import")
        return shop

    def _imported(self, shop_id: int) -> bool:
        jobs = _ok(self.api.get("/api/v1/jobs", params={"kind": "import", "shop_id": shop_id}))
        done = [j for j in jobs if j["status"] in {"succeeded", "partial", "failed"}]
        if any(j["status"] == "failed" for j in done):
            raise RuntimeError(f"catalog import of shop {shop_id} failed: {done}")
        return bool(done)

    def sim_stock(self, shop: Shop) -> dict[str, dict[str, int]]:
        result: dict[str, dict[str, int]] = _ok(
            self.sim[shop.platform].get("/_sim/stock", params={"shop_id": shop.external_id})
        )
        return result

    def close(self) -> None:
        self.api.close()
        for client in self.sim.values():
            client.close()


def make_catalog(seed: int, products: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The same SKUs for both platforms, with different starting stock on the second one (so
    the first pushes have something to do). Stock is small on purpose: SKUs run low within a
    minute, get restocked, and both platforms race for the last units (oversell pressure)."""
    rng = random.Random(seed)
    first: list[dict[str, Any]] = []
    second: list[dict[str, Any]] = []
    for p in range(products):
        variants = rng.choice((1, 2, 3))
        base = [
            {
                "sku": f"CH-{p:02d}-{v}",
                "price": round(rng.uniform(5, 60), 2),
                "stock": rng.randint(6, 16),
            }
            for v in range(variants)
        ]
        name = f"Chaos product {p:02d}"
        first.append({"name": name, "variants": base})
        second.append({"name": name, "variants": [v | {"stock": rng.randint(0, 60)} for v in base]})
    return first, second


def _ok(response: httpx.Response) -> Any:
    if response.status_code >= 300:
        raise RuntimeError(
            f"{response.request.method} {response.request.url} -> "
            f"{response.status_code}: {response.text[:300]}"
        )
    return response.json()


def monotonic_ms() -> int:
    return int(time.monotonic() * 1000)
