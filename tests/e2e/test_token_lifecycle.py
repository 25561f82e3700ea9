"""The token lifecycle end to end: a revoked grant pauses the shop and stops every call for it
until it is reconnected; platforms' authorization-expiry pushes show up as a warning on the shop."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import (
    APP_KEY,
    APP_SECRET,
    PARTNER_KEY,
    Sim,
    Stack,
    connect_two_shops,
    wait_for,
)
from tests.e2e.shop_auth import reconnect, revoke_grant, shop_row


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    running = Stack(tmp_path, overrides={"poll_interval_s": 1.0}).start()
    yield running
    running.stop()


def _calls(sim: Sim) -> int:
    return sum(sum(by.values()) for by in sim.http.get("/_sim/calls").json().values())


def test_a_revoked_grant_pauses_the_shop_stops_its_calls_and_reconnecting_resumes_it(
    stack: Stack,
) -> None:
    shops = connect_two_shops(stack)
    shop_id = shops.shopee["id"]
    revoke_grant(stack, stack.shopee, shop_id)

    wait_for(lambda: shop_row(stack, shop_id)["status"] == "paused", what="the shop to pause")
    paused = shop_row(stack, shop_id)
    assert str(paused["paused_reason"]).startswith("AUTHENTICATION_ERROR")
    failed = stack.api.get("/api/v1/jobs", params={"shop_id": shop_id, "status": "failed"}).json()
    assert any(e["code"] == "AUTHENTICATION_ERROR" for job in failed for e in job["errors"])
    assert shop_row(stack, shops.tiktok["id"])["status"] == "active"  # only this shop

    # Polls every second, a push arriving, stock changing: none of it reaches Shopee now.
    time.sleep(0.5)  # let a job that was already running when it paused finish
    before = _calls(stack.shopee)
    stack.shopee.post(
        "/_sim/orders",
        {"shop_id": shops.shopee_sim_id, "lines": [{"sku": "TOTE", "quantity": 1}]},
    )
    stack.api.post(
        "/api/v1/inventory/SHIRT-S/adjustments", json={"delta": 2, "reason": "adjustment"}
    )
    time.sleep(3)
    assert _calls(stack.shopee) == before
    assert stack.api.get("/api/v1/orders", params={"shop_id": shop_id}).json() == []

    reconnect(stack, stack.shopee, shops.shopee_sim_id)
    resumed = shop_row(stack, shop_id)
    assert (resumed["status"], resumed["paused_reason"]) == ("active", None)
    wait_for(
        lambda: len(stack.api.get("/api/v1/orders", params={"shop_id": shop_id}).json()) == 1,
        what="the order placed while paused to be imported after reconnecting",
    )
    wait_for(
        lambda: stack.shopee.stock(shops.shopee_sim_id)["SHIRT-S"]["available"] == 12,
        what="the stock change made while paused to reach Shopee",
    )


def test_a_revoked_tiktok_grant_pauses_the_shop_and_reconnecting_resumes_it(stack: Stack) -> None:
    """TikTok refuses a revoked grant's refresh as it refuses any unknown auth record; the shop
    pauses instead of being silently renewed, and only reconnecting resumes it."""
    shops = connect_two_shops(stack)
    shop_id = shops.tiktok["id"]
    revoke_grant(stack, stack.tiktok, shop_id)

    wait_for(lambda: shop_row(stack, shop_id)["status"] == "paused", what="the shop to pause")
    assert str(shop_row(stack, shop_id)["paused_reason"]).startswith("AUTHENTICATION_ERROR")
    assert shop_row(stack, shops.shopee["id"])["status"] == "active"  # only this shop

    reconnect(stack, stack.tiktok, shops.tiktok_sim_id)
    resumed = shop_row(stack, shop_id)
    assert (resumed["status"], resumed["paused_reason"]) == ("active", None)


def test_authorization_expiry_pushes_flag_the_shop_ahead_of_time(stack: Stack) -> None:
    shopee = stack.connect(stack.shopee, "Expiring Shopee")
    tiktok = stack.connect(stack.tiktok, "Expiring TikTok")
    assert shopee["authorization_warning"] is None
    ends = int(time.time()) + 5 * 86400

    # Shopee's code 12 goes to the partner and names the shops in its data.
    body = json.dumps(
        {
            "code": 12,
            "timestamp": int(time.time()),
            "data": {"shop_expire_soon": [int(shopee["external_id"])], "expire_before": ends},
        }
    ).encode()
    url = f"{stack.url}/webhooks/shopee"
    sign = hmac.new(PARTNER_KEY.encode(), url.encode() + b"|" + body, hashlib.sha256)
    pushed = stack.api.post(
        "/webhooks/shopee", content=body, headers={"Authorization": sign.hexdigest()}
    )
    assert pushed.status_code == 200

    body = json.dumps(
        {
            "type": 7,
            "tts_notification_id": "auth-expiring-1",
            "shop_id": tiktok["external_id"],
            "timestamp": int(time.time()),
            "data": {"expiration_time": ends},
        }
    ).encode()
    sign = hmac.new(APP_SECRET.encode(), APP_KEY.encode() + body, hashlib.sha256)
    pushed = stack.api.post(
        "/webhooks/tiktok", content=body, headers={"Authorization": sign.hexdigest()}
    )
    assert pushed.status_code == 200

    day = time.strftime("%Y-%m-%d", time.gmtime(ends))
    for shop in (shopee, tiktok):
        row = shop_row(stack, int(shop["id"]))
        assert f"authorization ends on {day}" in str(row["authorization_warning"])
        assert str(row["authorization_expires_at"]).startswith(day)
    # A push addressed to the shop counts for its webhook health; Shopee's partner-level one not.
    assert shop_row(stack, int(tiktok["id"]))["last_webhook_at"] is not None

    reconnect(stack, stack.tiktok, str(tiktok["sim"]["shop_id"]))
    assert shop_row(stack, int(tiktok["id"]))["authorization_warning"] is None  # a new grant


def test_the_scheduler_refreshes_a_token_before_it_expires(tmp_path: Path) -> None:
    stack = Stack(tmp_path, overrides={"token_check_interval_s": 1.0}).start()
    try:
        sim_app: Any = stack.shopee.server.server.config.app
        store = sim_app.state.sim.store
        store.access_ttl_s = 600  # the pair we connect with expires inside the 30 min margin
        shop = stack.connect(stack.shopee, "Refreshed ahead")
        store.access_ttl_s = 4 * 3600  # what Shopee issues on refresh
        first_expiry = shop["access_expires_at"]

        def refreshed() -> bool:
            return bool(shop_row(stack, int(shop["id"]))["access_expires_at"] != first_expiry)

        wait_for(refreshed, timeout_s=10, what="the proactive refresh")
        jobs = stack.api.get("/api/v1/jobs", params={"kind": "token_refresh"}).json()
        assert [job["status"] for job in jobs] == ["succeeded"]
        calls = stack.shopee.http.get("/_sim/calls").json()
        assert sum(calls["/api/v2/auth/access_token/get"].values()) == 1
        time.sleep(2)  # two more checks: the new pair is not due, nothing else is refreshed
        assert len(stack.api.get("/api/v1/jobs", params={"kind": "token_refresh"}).json()) == 1
    finally:
        stack.stop()
