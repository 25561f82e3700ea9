"""Reconciliation end to end: stock changed on both platforms behind StoreSync's back is found and
pushed back — asked for over the API, from the CLI, and by the scheduler on its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from storesync.db.engine import unit_of_work
from storesync.db.models import Shop
from storesync.marketplaces.base import ListingRef, StockUpdate
from tests.e2e.harness import Connected, Stack, connect_two_shops, settings_env, wait_for


def _change_behind_our_back(stack: Stack, shop: dict[str, Any], sku: str, qty: int) -> None:
    """A seller edits stock in the platform's back office: the platform's own signed API."""
    listing = next(
        item
        for item in stack.api.get(f"/api/v1/inventory/{sku}").json()["listings"]
        if item["shop_id"] == shop["id"]
    )
    assert listing["confirmed"] is not None
    assert not listing["dirty"]
    with unit_of_work(stack.container.session_factory) as session:
        row = session.get(Shop, shop["id"])
        assert row is not None
        client = stack.container.clients.for_shop(row)
    (stock,) = [s for s in _read_all(stack, shop) if s.sku == sku]
    client.update_stock([StockUpdate(stock.ref, qty)])


def _read_all(stack: Stack, shop: dict[str, Any]) -> list[Any]:
    with unit_of_work(stack.container.session_factory) as session:
        row = session.get(Shop, shop["id"])
        assert row is not None
        client = stack.container.clients.for_shop(row)
    refs = [
        ListingRef(v.external_item_id, v.external_variant_id)
        for product in client.list_products()
        for v in product.variants
    ]
    return client.read_stock(refs)


def _available(stack: Stack, shops: Connected, platform: str, sku: str) -> int:
    if platform == "shopee":
        return stack.shopee.stock(shops.shopee_sim_id)[sku]["available"]
    return stack.tiktok.stock(shops.tiktok_sim_id)[sku]["available"]


def test_api_reconcile_heals_stock_changed_on_both_platforms(tmp_path: Path) -> None:
    stack = Stack(tmp_path, overrides={"poll_interval_s": 3600.0}).start()
    try:
        shops = connect_two_shops(stack)
        _change_behind_our_back(stack, shops.shopee, "SHIRT-S", 1)
        _change_behind_our_back(stack, shops.tiktok, "TOTE", 9)
        assert _available(stack, shops, "shopee", "SHIRT-S") == 1

        dry = stack.api.post("/api/v1/reconcile", json={"dry_run": True})
        assert dry.status_code == 202, dry.text
        job = _wait_job(stack, dry.json()["job_id"])
        assert (job["counts"]["drifted"], job["counts"]["healed"]) == (2, 0), job
        assert job["params"]["drifted_skus"] == ["SHIRT-S", "TOTE"]
        assert _available(stack, shops, "shopee", "SHIRT-S") == 1

        real = stack.api.post("/api/v1/reconcile", json={})
        job = _wait_job(stack, real.json()["job_id"])
        assert job["status"] == "succeeded", job
        assert (job["counts"]["checked"], job["counts"]["healed"]) == (6, 2), job
        wait_for(
            lambda: (
                _available(stack, shops, "shopee", "SHIRT-S") == 10
                and _available(stack, shops, "tiktok", "TOTE") == 3
            ),
            timeout_s=15,
            what="both platforms to show the master's stock again",
        )
        missing = stack.api.post("/api/v1/reconcile", json={"shop_id": 999})
        assert missing.status_code == 404
    finally:
        stack.stop()


def _cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "storesync.cli", "reconcile", *args],
        env={**os.environ, **settings_env(stack.settings), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_dry_run_shows_the_drift_table_and_the_scheduler_heals_it(tmp_path: Path) -> None:
    stack = Stack(
        tmp_path, overrides={"poll_interval_s": 3600.0, "reconcile_interval_s": 3600.0}
    ).start()
    try:
        shops = connect_two_shops(stack)
        _change_behind_our_back(stack, shops.tiktok, "SHIRT-M", 0)
        result = _cli(stack, "--dry-run")
        assert result.returncode == 0, result.stderr
        assert "SHIRT-M" in result.stderr, result.stderr
        assert "drifted" in result.stderr
        assert _available(stack, shops, "tiktok", "SHIRT-M") == 0

        # The hourly pass, made quick: the scheduler enqueues it and the worker heals.
        stack.reschedule(reconcile_interval_s=0.5)
        wait_for(
            lambda: _available(stack, shops, "tiktok", "SHIRT-M") == 5,
            timeout_s=20,
            what="the scheduled reconciliation to push SHIRT-M back to 5",
        )
    finally:
        stack.stop()


def test_cli_reconcile_of_one_shop_heals_and_pushes_at_once(tmp_path: Path) -> None:
    stack = Stack(tmp_path, overrides={"poll_interval_s": 3600.0}).start()
    try:
        shops = connect_two_shops(stack)
        _change_behind_our_back(stack, shops.shopee, "TOTE", 0)
        _change_behind_our_back(stack, shops.tiktok, "TOTE", 0)

        result = _cli(stack, "--shop", str(shops.shopee["id"]))

        assert result.returncode == 0, result.stderr
        assert "healed 1" in result.stderr, result.stderr
        assert _available(stack, shops, "shopee", "TOTE") == 3  # pushed by the command itself
        assert _available(stack, shops, "tiktok", "TOTE") == 0  # another shop: not asked for
    finally:
        stack.stop()


def _wait_job(stack: Stack, job_id: int) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        job: dict[str, Any] = stack.api.get(f"/api/v1/jobs/{job_id}").json()
        return job if job["status"] not in {"queued", "running"} else None

    result: dict[str, Any] = wait_for(finished, timeout_s=30, what=f"job {job_id}")
    return result
