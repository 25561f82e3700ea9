"""Circuit breakers over real HTTP against the simulators: a platform failing every call opens
its shop's breaker, no call reaches it while open, the work waits (listings stay dirty), and
after the fault clears the probes close it and the stock converges. A person can close an open
breaker at once through the API or the CLI, and force one open; both are recorded."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storesync.auth.identity import cli_identity
from storesync.db.engine import unit_of_work
from storesync.db.models import Listing
from tests.e2e.harness import Connected, Sim, Stack, connect_two_shops, settings_env, wait_for

ALL_5XX = {"seed": 1, "families": {"*": {"error_rate": 1.0, "error_kind": "5xx"}}}
FAST_BREAKER = {
    "breaker_min_calls": 4,
    "breaker_window_s": 30.0,
    "breaker_ramp_step_s": 0.5,
}


@pytest.fixture
def stack(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Stack]:
    open_s = getattr(request, "param", 6.0)
    running = Stack(tmp_path, overrides={**FAST_BREAKER, "breaker_open_s": open_s}).start()
    yield running
    running.stop()


def calls_received(sim: Sim) -> int:
    response = sim.http.get("/_sim/calls")
    response.raise_for_status()
    return sum(n for outcomes in response.json().values() for n in outcomes.values())


def breaker(stack: Stack, key: str) -> dict[str, Any]:
    response = stack.api.get(f"/api/v1/breakers/{key}")
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def shirt_listing(stack: Stack, shop_id: int) -> tuple[bool, int, int | None]:
    with unit_of_work(stack.container.session_factory) as session:
        row = session.scalars(
            select(Listing).where(Listing.shop_id == shop_id, Listing.seller_sku == "SHIRT-S")
        ).one()
        return row.dirty, row.desired_qty, row.confirmed_qty


def fail_shopee_until_open(stack: Stack, shops: Connected) -> tuple[str, dict[str, Any]]:
    key = f"shopee:{shops.shopee['id']}"
    stack.shopee.http.put("/_sim/faults", json=ALL_5XX).raise_for_status()
    response = stack.api.post("/api/v1/inventory/SHIRT-S/adjustments", json={"delta": -4})
    response.raise_for_status()
    opened = wait_for(
        lambda: (b := breaker(stack, key))["state"] == "open" and b,
        timeout_s=20,
        what="the Shopee shop's breaker to open",
    )
    return key, opened


def test_an_open_breaker_lets_no_call_through_and_stock_converges_after_the_fault(
    stack: Stack,
) -> None:
    shops = connect_two_shops(stack)
    key, opened = fail_shopee_until_open(stack, shops)
    assert opened["reason"].startswith("failure rate")
    # The other platform's shop is not affected by Shopee's breaker.
    wait_for(lambda: stack.tiktok.stock(shops.tiktok_sim_id)["SHIRT-S"]["available"] == 6)

    next_probe = datetime.fromisoformat(opened["next_probe_at"])
    time.sleep(0.5)  # calls that left before the breaker opened finish arriving
    before = calls_received(stack.shopee)
    # Watch most of the cool-down, keeping a margin for a slow, shared machine.
    quiet_s = (next_probe - datetime.now(UTC)).total_seconds() - 1.5
    assert quiet_s > 2.0, "the cool-down must leave time to watch"
    time.sleep(quiet_s)
    assert calls_received(stack.shopee) == before, "a call reached Shopee while open"
    assert breaker(stack, key)["state"] == "open"  # the watch ended inside the cool-down
    dirty, desired, confirmed = shirt_listing(stack, shops.shopee["id"])
    assert (dirty, desired, confirmed) == (True, 6, 10)  # the work waits; nothing dropped
    health = stack.api.get("/api/health").json()["components"]
    assert health["breakers_shopee"]["status"] == "degraded"
    assert health["breakers_shopee"]["open_breakers"] == [key]
    assert health["breakers_tiktok"]["status"] == "ok"

    stack.shopee.http.put("/_sim/faults", json={"seed": 1}).raise_for_status()
    wait_for(lambda: breaker(stack, key)["state"] == "closed", timeout_s=20, what="closing")
    wait_for(
        lambda: stack.shopee.stock(shops.shopee_sim_id)["SHIRT-S"]["available"] == 6,
        timeout_s=20,
        what="Shopee to show 6 SHIRT-S after recovery",
    )
    assert shirt_listing(stack, shops.shopee["id"]) == (False, 6, 6)
    events = stack.api.get(f"/api/v1/breakers/{key}/events").json()
    moves = [(e["from_state"], e["to_state"], e["actor"]) for e in reversed(events)]
    assert moves[0] == ("closed", "open", "system")
    assert ("open", "half_open", "system") in moves
    assert moves[-1] == ("half_open", "closed", "system")


@pytest.mark.parametrize("stack", [120.0], indirect=True)  # a cool-down no test waits out
def test_a_manual_reset_through_the_api_closes_an_open_breaker_at_once(stack: Stack) -> None:
    shops = connect_two_shops(stack)
    key, _ = fail_shopee_until_open(stack, shops)
    stack.shopee.http.put("/_sim/faults", json={"seed": 1}).raise_for_status()

    response = stack.api.post(
        f"/api/v1/breakers/{key}/reset", json={"reason": "Shopee status page green again"}
    )
    assert response.status_code == 200, response.text
    assert (response.json()["from_state"], response.json()["to_state"]) == ("open", "closed")
    assert breaker(stack, key)["state"] == "closed"
    wait_for(
        lambda: stack.shopee.stock(shops.shopee_sim_id)["SHIRT-S"]["available"] == 6,
        timeout_s=20,
        what="Shopee to show 6 SHIRT-S right after the reset",
    )
    latest = stack.api.get(f"/api/v1/breakers/{key}/events").json()[0]
    me = stack.api.get("/api/v1/auth/session").json()["actor"]  # key:<id>:<name>, the caller
    assert me.startswith("key:")
    assert (latest["to_state"], latest["actor"], latest["reason"]) == (
        "closed",
        me,
        "Shopee status page green again",
    )


def _cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "storesync.cli", "breakers", *args],
        env={**os.environ, **settings_env(stack.settings), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_force_open_and_reset_from_the_cli_reach_the_running_server(stack: Stack) -> None:
    shops = connect_two_shops(stack)
    shop_id = shops.tiktok["id"]
    opened = _cli(stack, "open", "--shop", str(shop_id), "--reason", "TikTok maintenance")
    assert opened.returncode == 0, opened.stderr
    assert breaker(stack, f"tiktok:{shop_id}")["state"] == "forced_open"
    before = calls_received(stack.tiktok)
    stack.api.post("/api/v1/inventory/TOTE/adjustments", json={"delta": -1}).raise_for_status()
    time.sleep(2.0)
    assert calls_received(stack.tiktok) == before
    assert stack.tiktok.stock(shops.tiktok_sim_id)["TOTE"]["available"] == 3

    listed = _cli(stack, "list")
    assert listed.returncode == 0, listed.stderr
    assert f"tiktok:{shop_id}" in listed.stderr
    assert "forced_open" in listed.stderr
    reset = _cli(stack, "reset", "--shop", str(shop_id), "--reason", "done")
    assert reset.returncode == 0, reset.stderr
    wait_for(lambda: stack.tiktok.stock(shops.tiktok_sim_id)["TOTE"]["available"] == 2)
    events = stack.api.get(f"/api/v1/breakers/tiktok:{shop_id}/events").json()
    assert [(e["to_state"], e["reason"]) for e in reversed(events)] == [
        ("forced_open", "TikTok maintenance"),
        ("closed", "done"),
    ]
    # Both name who ran the command (cli:<OS user>, through the server: a key named so).
    for event in events:
        assert event["actor"].endswith(cli_identity().actor), event
