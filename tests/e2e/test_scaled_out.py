"""Scaled out: PostgreSQL, a Redis broker, workers as separate processes — and one SIGKILLed
mid-push. The desired state lives in the database, so the restarted worker finishes the job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text

from tests.conftest import PG_ADMIN_URL, missing_service
from tests.e2e.harness import Stack, connect_two_shops, settings_env, wait_for

BROKER_URL = "redis://127.0.0.1:6379/14"


@pytest.fixture
def pg_database() -> Iterator[str]:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"storesync_e2e_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:
        admin.dispose()
        missing_service("PostgreSQL")
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def broker_url(redis_url: str) -> str:
    client = redis.Redis.from_url(BROKER_URL)
    client.flushdb()
    client.close()
    return BROKER_URL


class Processes:
    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = {**os.environ, **env}
        self.logs = logs
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{args[0]}-{len(self.running)}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "storesync.cli", *args], env=self.env, stdout=log, stderr=log
        )
        log.close()
        self.running.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.running:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.running:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_a_worker_killed_mid_push_leads_to_a_correct_push_after_restart(
    tmp_path: Path, pg_database: str, broker_url: str
) -> None:
    stack = Stack(
        tmp_path,
        database_url=pg_database,
        overrides={"broker_url": broker_url, "redis_url": broker_url},
    ).start()
    procs = Processes(settings_env(stack.settings), tmp_path)
    try:
        procs.start("scheduler")
        worker = procs.start("worker", "--threads", "2")
        shops = connect_two_shops(stack)
        # Slow TikTok's inventory writes so the push is still in flight when we kill the worker.
        stack.tiktok.http.put(
            "/_sim/faults", json={"families": {"inventory": {"latency_ms": 2500}}}
        ).raise_for_status()
        stack.shopee.post(
            "/_sim/orders",
            {"shop_id": shops.shopee_sim_id, "lines": [{"sku": "SHIRT-S", "quantity": 4}]},
        )
        wait_for(
            lambda: _inventory_update_calls(stack) >= 1, timeout_s=20, what="the push to start"
        )
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        # A second sale while no worker runs: the restarted one must push the newest value.
        stack.shopee.post(
            "/_sim/orders",
            {"shop_id": shops.shopee_sim_id, "lines": [{"sku": "SHIRT-S", "quantity": 1}]},
        )
        stack.tiktok.http.put("/_sim/faults", json={}).raise_for_status()
        procs.start("worker", "--threads", "2")
        wait_for(
            lambda: stack.tiktok.stock(shops.tiktok_sim_id)["SHIRT-S"]["available"] == 5,
            timeout_s=45,
            what="TikTok to converge to 10 - 4 - 1 = 5",
        )
        inventory = stack.api.get("/api/v1/inventory/SHIRT-S").json()
        assert (inventory["on_hand"], inventory["reserved"], inventory["available"]) == (10, 5, 5)
        wait_for(
            lambda: (
                not any(
                    item["dirty"]
                    for item in stack.api.get("/api/v1/inventory/SHIRT-S").json()["listings"]
                )
            )
        )
    finally:
        procs.stop_all()
        stack.stop()


def _inventory_update_calls(stack: Stack) -> int:
    calls = stack.tiktok.http.get("/_sim/calls").json()
    return sum(sum(v.values()) for path, v in calls.items() if "inventory/update" in path)
