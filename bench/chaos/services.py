"""The machine-level pieces a chaos run owns: a fresh PostgreSQL database, a Redis DB, restarts
of both servers, and the OS processes of StoreSync and the simulators (with their logs).

Every wait is bounded; `Procs.stop_all` and `Database.drop` are safe to call twice.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from storesync.testing import waiting

PG_ADMIN_URL = os.environ.get(
    "STORESYNC_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# Exactly how this machine runs Redis: a restart must bring back the same server.
REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]


def wait_until(predicate: Callable[[], Any], timeout_s: float, what: str) -> Any:
    # A service still starting answers with errors: they count as "not yet".
    return waiting.wait_until(predicate, timeout_s, what, interval_s=0.1, ignore=(Exception,))


# --- PostgreSQL ----------------------------------------------------------------------------------


@dataclass
class Database:
    name: str = field(default_factory=lambda: f"storesync_chaos_{uuid.uuid4().hex[:8]}")
    admin_url: str = PG_ADMIN_URL
    created: bool = False

    @property
    def url(self) -> str:
        return self.admin_url.rsplit("/", 1)[0] + f"/{self.name}"

    def create(self) -> str:
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        finally:
            admin.dispose()
        self.created = True
        return self.url

    def drop(self) -> None:
        if not self.created:
            return
        # PostgreSQL may still be coming back from a restart: retry for a while.
        deadline = time.monotonic() + 30
        while True:
            admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
            try:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
                self.created = False
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
            finally:
                admin.dispose()


def postgres_version() -> str:
    versions = sorted(os.listdir("/etc/postgresql"), key=lambda v: [int(p) for p in v.split(".")])
    return versions[-1]


def restart_postgres() -> float:
    """Restart the cluster; returns the seconds it was unavailable (roughly)."""
    started = time.monotonic()
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", postgres_version(), "main", "restart"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    wait_until(postgres_ready, 60, "PostgreSQL to accept connections")
    return time.monotonic() - started


def postgres_ready() -> bool:
    engine = create_engine(PG_ADMIN_URL)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    finally:
        engine.dispose()


def ensure_postgres() -> None:
    """After a failed run: make sure the cluster is up for everybody else on this machine."""
    with contextlib.suppress(Exception):
        if postgres_ready():
            return
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", postgres_version(), "main", "start"],
        check=False,
        capture_output=True,
        timeout=120,
    )


# --- Redis ---------------------------------------------------------------------------------------


def redis_ready() -> bool:
    result = subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "ping"], capture_output=True, text=True, timeout=5
    )
    return result.stdout.strip() == "PONG"


def restart_redis() -> float:
    """`shutdown nosave`, then start it again exactly as before: everything queued is lost."""
    started = time.monotonic()
    subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "shutdown", "nosave"], capture_output=True, timeout=30
    )
    wait_until(lambda: not _redis_alive(), 15, "Redis to stop")
    subprocess.run(REDIS_START, check=True, capture_output=True, timeout=30)
    wait_until(redis_ready, 30, "Redis to come back")
    return time.monotonic() - started


def _redis_alive() -> bool:
    try:
        return redis_ready()
    except Exception:
        return False


def ensure_redis() -> None:
    if not _redis_alive():
        subprocess.run(REDIS_START, check=False, capture_output=True, timeout=30)


CLAIM_KEY = "storesync:chaos:owner"
CLAIM_TTL_S = 1800  # longer than any run's budget; released at the end


def claim_redis_db(candidates: list[int], owner: str) -> int | None:
    """The first Redis DB no other chaos run holds (runs at once would flush each other's
    queues). A Redis restart drops the claim; `reclaim` puts it back."""
    import redis

    for db in candidates:
        client = redis.Redis(host="127.0.0.1", port=6379, db=db, socket_connect_timeout=2)
        try:
            if client.set(CLAIM_KEY, owner, nx=True, ex=CLAIM_TTL_S):
                return db
        finally:
            client.close()
    return None


def reclaim_redis_db(db: int, owner: str) -> None:
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379, db=db, socket_connect_timeout=2)
    try:
        client.set(CLAIM_KEY, owner, ex=CLAIM_TTL_S)
    finally:
        client.close()


def flush_redis_db(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.flushdb()
    finally:
        client.close()


# --- processes -----------------------------------------------------------------------------------


@dataclass
class Proc:
    name: str
    args: list[str]
    popen: subprocess.Popen[bytes]
    log: Path
    extra_env: dict[str, str] = field(default_factory=dict)


class Procs:
    """Child processes with their output in `logs/NAME.log`; stopped on exit, whatever happens."""

    def __init__(self, logs: Path, env: dict[str, str]) -> None:
        self.logs = logs
        self.env = env
        self.unset: tuple[str, ...] = ()  # variables of ours the children must not inherit
        self.procs: dict[str, Proc] = {}
        self._generation: dict[str, int] = {}

    def start(self, name: str, args: list[str], extra_env: dict[str, str] | None = None) -> Proc:
        generation = self._generation.get(name, 0)
        self._generation[name] = generation + 1
        log = self.logs / (f"{name}.log" if generation == 0 else f"{name}.{generation}.log")
        env = {**os.environ, **self.env, **(extra_env or {})}
        for key in self.unset:
            env.pop(key, None)
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [sys.executable, *args],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C in the terminal reaches us, not them
            )
        proc = Proc(name, args, popen, log, dict(extra_env or {}))
        self.procs[name] = proc
        return proc

    def kill(self, name: str) -> None:
        """SIGKILL: no clean-up, no acks; whatever it was doing is cut off mid-way."""
        proc = self.procs[name]
        proc.popen.send_signal(signal.SIGKILL)
        proc.popen.wait(timeout=10)

    def restart(self, name: str) -> Proc:
        old = self.procs[name]
        return self.start(name, old.args, old.extra_env)

    def check_alive(self) -> list[str]:
        return [name for name, proc in self.procs.items() if proc.popen.poll() is not None]

    def stop_all(self, timeout_s: float = 15.0) -> None:
        for proc in self.procs.values():
            if proc.popen.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.popen.terminate()
        deadline = time.monotonic() + timeout_s
        for proc in self.procs.values():
            try:
                proc.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.popen.kill()
                proc.popen.wait(timeout=10)


def http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
