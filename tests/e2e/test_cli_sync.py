"""The operator's commands: `storesync sync …` and `storesync resync`, as real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from storesync.db.engine import unit_of_work
from storesync.db.models import SyncCheckpoint
from tests.e2e.harness import Stack, connect_two_shops, settings_env, wait_for


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    # Slow polling: the commands under test must do the work, not the scheduler.
    running = Stack(tmp_path, overrides={"poll_interval_s": 3600.0}).start()
    yield running
    running.stop()


def _cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "storesync.cli", *args],
        env={**os.environ, **settings_env(stack.settings)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_resync_replays_orders_the_webhooks_never_delivered(stack: Stack) -> None:
    shops = connect_two_shops(stack)
    stack.wait_jobs_done("orders", 2)  # the scheduler's first poll of each shop, then none
    stack.tiktok.http.put("/_sim/faults", json={"webhooks": {"drop": 1.0}}).raise_for_status()
    for _ in range(3):
        stack.tiktok.post(
            "/_sim/orders",
            {"shop_id": shops.tiktok_sim_id, "lines": [{"sku": "SHIRT-M", "quantity": 1}]},
        )
    assert stack.api.get("/api/v1/orders").json() == []

    result = _cli(
        stack, "resync", "--shop", str(shops.tiktok["id"]), "--since", "2020-01-01T00:00:00"
    )
    assert result.returncode == 0, result.stderr
    assert len(stack.api.get("/api/v1/orders").json()) == 3
    assert stack.api.get("/api/v1/inventory/SHIRT-M").json()["reserved"] == 3
    jobs = stack.api.get("/api/v1/jobs", params={"kind": "resync"}).json()
    assert jobs[0]["status"] == "succeeded"
    assert jobs[0]["counts"].get("created") == 3, jobs[0]

    again = _cli(stack, "resync", "--shop", str(shops.tiktok["id"]))
    assert again.returncode == 0, again.stderr
    assert len(stack.api.get("/api/v1/orders").json()) == 3  # replaying is harmless
    with unit_of_work(stack.container.session_factory) as session:
        assert session.scalar(select(SyncCheckpoint.position)) is not None


def test_sync_import_and_stock_commands_report_and_record(stack: Stack) -> None:
    shops = connect_two_shops(stack)
    result = _cli(stack, "sync", "import", "--shop", str(shops.shopee["id"]))
    assert result.returncode == 0, result.stderr
    assert "matched" in result.stderr
    wait_for(
        lambda: (
            not any(
                listing["dirty"]
                for listing in stack.api.get("/api/v1/inventory/TOTE").json()["listings"]
            )
        )
    )
    pushed = _cli(stack, "sync", "stock", "--shop", str(shops.tiktok["id"]))
    assert pushed.returncode == 0, pushed.stderr
    assert "pushed 0" in pushed.stderr  # nothing dirty: nothing to call the platform for

    missing = _cli(stack, "sync", "orders", "--shop", "999")
    assert missing.returncode == 2
    assert "no shop 999" in missing.stderr
