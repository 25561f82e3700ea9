"""The running demo stack: both simulators and StoreSync, each a real server on loopback.

StoreSync runs as `python -m storesync.cli serve` (the embedded default: SQLite in the data dir,
in-process worker and scheduler) and the simulators as `python -m marketsim.cli`. Separate
processes matter on a 2-core machine: the simulators, the server and the demo's own traffic
generator and stock poller would otherwise share one GIL, and the latency measured would be the
demo's contention, not StoreSync's (bench/README.md has the comparison).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from storesync.auth.identity import Role
from storesync.auth.service import create_api_key
from storesync.db.engine import make_engine, make_session_factory, unit_of_work
from storesync.demo.clients import SimApi, StoreSyncApi
from storesync.demo.procs import Child, child_env
from storesync.testing.ports import free_port
from storesync.testing.sims import PLATFORMS, AppCredentials, simulator_args


class SimHandle(Protocol):
    @property
    def url(self) -> str: ...

    def wait_ready(self, timeout_s: float = 30.0) -> None: ...

    def stop(self) -> None: ...


# (platform, webhook URL, credentials, log directory) -> a started simulator.
SimLauncher = Callable[[str, str, AppCredentials, Path], SimHandle]


@dataclass
class ProcessSim:
    child: Child

    @property
    def url(self) -> str:
        return self.child.url

    def wait_ready(self, timeout_s: float = 30.0) -> None:
        self.child.wait_ready("/_sim/health", timeout_s)

    def stop(self) -> None:
        self.child.stop()


def process_sim(
    platform: str, webhook_url: str, creds: AppCredentials, log_dir: Path
) -> ProcessSim:
    port = free_port()
    argv = [sys.executable, *simulator_args(platform, port, creds, webhook_url)]
    url = f"http://127.0.0.1:{port}"
    log = log_dir / f"marketsim-{platform}.log"
    return ProcessSim(Child.start(f"marketsim {platform}", url, argv, child_env({}), log))


@dataclass
class StackOptions:
    data_dir: Path
    port: int = 3000
    worker_threads: int = 4
    sweep_interval_s: float = 5.0
    poll_interval_s: float = 60.0
    log_level: str = "INFO"
    credentials: AppCredentials = field(default_factory=AppCredentials)
    sim_launcher: SimLauncher = process_sim
    server_env: dict[str, str] = field(default_factory=dict)  # more STORESYNC_* for the server


@dataclass
class Stack:
    options: StackOptions
    sims: dict[str, SimApi] = field(default_factory=dict)
    _handles: list[SimHandle] = field(default_factory=list)
    _server: Child | None = None
    _api: StoreSyncApi | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.options.port}"

    @property
    def api(self) -> StoreSyncApi:
        assert self._api is not None, "stack not started"
        return self._api

    @property
    def database_url(self) -> str:
        return f"sqlite:///{(self.options.data_dir / 'storesync.db').resolve()}"

    @property
    def server_log(self) -> Path:
        return self.options.data_dir / "storesync.log"

    @property
    def key_file(self) -> Path:
        """The admin API key the demo made for itself (and for whoever wants to look around)."""
        return self.options.data_dir / "admin-api-key"

    def start(self) -> Stack:
        """Start everything at once (the three start-ups overlap), then wait for each."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        opts = self.options
        opts.data_dir.mkdir(parents=True, exist_ok=True)
        for platform in PLATFORMS:
            hook = f"{self.url}/webhooks/{platform}"
            self._handles.append(opts.sim_launcher(platform, hook, opts.credentials, opts.data_dir))
        shopee, tiktok = self._handles
        self._server = self._start_server(shopee.url, tiktok.url)
        for handle in self._handles:
            handle.wait_ready()
        self._server.wait_ready("/api/health", timeout_s=60)
        self.sims = {p: SimApi(p, h.url) for p, h in zip(PLATFORMS, self._handles, strict=True)}
        self._api = StoreSyncApi(self.url, self._admin_key())

    def _admin_key(self) -> str:
        # The server has migrated the database by now (it answered /api/health); the key goes
        # straight into it, as `storesync apikeys create` would, and into a 0600 file.
        engine = make_engine(self.database_url)
        try:
            with unit_of_work(make_session_factory(engine)) as session:
                key = create_api_key(session, "demo", Role.ADMIN, created_by="system:demo").key
        finally:
            engine.dispose()
        fd = os.open(self.key_file, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
        return key

    def _start_server(self, shopee_url: str, tiktok_url: str) -> Child:
        opts, creds = self.options, self.options.credentials
        env = child_env(
            {
                "STORESYNC_DATA_DIR": str(opts.data_dir),
                "STORESYNC_HOST": "127.0.0.1",
                "STORESYNC_PORT": str(opts.port),
                "STORESYNC_PUBLIC_URL": self.url,
                "STORESYNC_LOG_FORMAT": "json",
                "STORESYNC_LOG_LEVEL": opts.log_level,
                "STORESYNC_WORKER_THREADS": str(opts.worker_threads),
                "STORESYNC_SWEEP_INTERVAL_S": str(opts.sweep_interval_s),
                "STORESYNC_POLL_INTERVAL_S": str(opts.poll_interval_s),
            }
            | creds.environment(shopee_url, tiktok_url)
            | opts.server_env
        )
        argv = [sys.executable, "-m", "storesync.cli", "serve", "--port", str(opts.port)]
        return Child.start("StoreSync", self.url, argv, env, self.server_log)

    def stop(self) -> None:
        # The server first: stopping a simulator under a running worker only produces errors.
        if self._api is not None:
            self._api.close()
        for sim in self.sims.values():
            sim.close()
        if self._server is not None:
            self._server.stop()
        for handle in reversed(self._handles):
            handle.stop()

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
