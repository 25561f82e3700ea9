"""Pushes over real HTTP: type-1 payloads on order creation and status change, the signature
checked by an independent implementation, retries on the platform's schedule, subscriptions."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.marketsim.conftest import WebhookReceiver
from tests.marketsim.tiktok_helpers import APP_KEY, APP_SECRET, Api, Shop, doc_webhook_auth, sim

RETRY_S = (120, 1800, 10800, 43200)


@contextmanager
def shop_with_stock(**kwargs: Any) -> Iterator[tuple[Api, Shop]]:
    with sim(**kwargs) as api:
        shop = api.new_shop(name="Push Shop")
        api.shop = shop
        api.add_products(
            shop, [{"name": "Lamp", "variants": [{"sku": "LAMP", "price": 9, "stock": 50}]}]
        )
        yield api, shop


def webhook_state(api: Api) -> dict[str, Any]:
    return dict(api.http.get("/_sim/webhook").json())


def wait_idle(api: Api, timeout_s: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        state = webhook_state(api)
        if state["idle"]:
            return state
        assert time.monotonic() < deadline, state
        time.sleep(0.02)


def test_order_events_are_pushed_signed_like_tiktok(webhook_receiver: WebhookReceiver) -> None:
    with shop_with_stock(webhook_url=webhook_receiver.url) as (api, shop):
        order_id = api.add_order(shop, {"LAMP": 2}, status="UNPAID")
        api.set_status(order_id, "AWAITING_SHIPMENT")
        api.set_status(order_id, "ON_HOLD")  # invalid move (backwards) pushes nothing
        api.set_status(order_id, "IN_TRANSIT")
        hits = webhook_receiver.wait_delivered(3)
    statuses = []
    for hit in hits:
        signature = hit.headers["Authorization"]
        assert signature == doc_webhook_auth(APP_KEY, APP_SECRET, hit.body)
        assert not signature.lower().startswith("bearer")
        payload = hit.json
        assert list(payload) == ["type", "tts_notification_id", "shop_id", "timestamp", "data"]
        assert payload["type"] == 1
        assert payload["shop_id"] == shop.shop_id
        assert isinstance(payload["shop_id"], str)
        assert re.fullmatch(r"\d{19}", payload["tts_notification_id"])
        assert isinstance(payload["timestamp"], int)
        data = payload["data"]
        assert set(data) == {"order_id", "order_status", "is_on_hold_order", "update_time"}
        assert data["order_id"] == order_id
        assert data["is_on_hold_order"] is False
        statuses.append(data["order_status"])
    assert statuses == ["UNPAID", "AWAITING_SHIPMENT", "IN_TRANSIT"]
    assert len({h.json["tts_notification_id"] for h in hits}) == 3


def test_a_signature_from_the_wrong_secret_does_not_verify(
    webhook_receiver: WebhookReceiver,
) -> None:
    with shop_with_stock(webhook_url=webhook_receiver.url) as (api, shop):
        api.add_order(shop, {"LAMP": 1})
        (hit,) = webhook_receiver.wait_delivered(1)
    assert hit.headers["Authorization"] != doc_webhook_auth(APP_KEY, "other-secret", hit.body)
    # The signature covers the exact bytes: re-serialising the JSON must not be needed.
    assert json.loads(hit.body) == hit.json


def test_failed_push_is_retried_after_the_scaled_schedule(
    webhook_receiver: WebhookReceiver,
) -> None:
    factor = 0.0005  # 2 min -> 60 ms, 30 min -> 0.9 s
    webhook_receiver.plan = [500, 503]
    with shop_with_stock(webhook_url=webhook_receiver.url, time_factor=factor) as (api, shop):
        started = time.monotonic()
        api.add_order(shop, {"LAMP": 1})
        webhook_receiver.wait_delivered(1)
        elapsed = time.monotonic() - started
        state = wait_idle(api)
    assert len(webhook_receiver.hits) == 3
    assert len({h.body for h in webhook_receiver.hits}) == 1  # the same bytes each time
    assert elapsed >= (RETRY_S[0] + RETRY_S[1]) * factor
    assert state["stats"]["retried"] == 2
    assert state["stats"]["delivered"] == 1


def test_push_is_dropped_after_the_last_retry(webhook_receiver: WebhookReceiver) -> None:
    factor = 0.00005  # the whole 2 min .. 12 h schedule in under 3 s
    webhook_receiver.default_status = 500
    with shop_with_stock(webhook_url=webhook_receiver.url, time_factor=factor) as (api, shop):
        api.add_order(shop, {"LAMP": 1})
        state = wait_idle(api, timeout_s=15)
        time.sleep(0.2)
    assert len(webhook_receiver.hits) == 1 + len(RETRY_S)
    assert state["stats"]["lost"] == 1
    assert state["stats"]["retried"] == len(RETRY_S)


def test_webhook_url_can_be_set_through_the_control_api(webhook_receiver: WebhookReceiver) -> None:
    with shop_with_stock() as (api, shop):
        api.add_order(shop, {"LAMP": 1})
        assert wait_idle(api)["stats"]["no_url"] == 1  # no URL yet: lost
        api.http.put("/_sim/webhook", json={"url": webhook_receiver.url}).raise_for_status()
        api.add_order(shop, {"LAMP": 1})
        (hit,) = webhook_receiver.wait_delivered(1)
        assert hit.json["data"]["order_status"] == "AWAITING_SHIPMENT"


def test_duplicate_fault_sends_the_same_notification_twice(
    webhook_receiver: WebhookReceiver,
) -> None:
    with shop_with_stock(webhook_url=webhook_receiver.url) as (api, shop):
        api.http.put("/_sim/faults", json={"webhooks": {"duplicate": 1.0}}).raise_for_status()
        api.add_order(shop, {"LAMP": 1})
        first, second = webhook_receiver.wait_delivered(2)
    assert first.body == second.body


def test_shop_can_subscribe_its_own_address(webhook_receiver: WebhookReceiver) -> None:
    path = "/event/202309/webhooks"
    with shop_with_stock() as (api, shop):
        body = {"address": webhook_receiver.url, "event_type": "ORDER_STATUS_CHANGE"}
        assert api.ok("PUT", path, body=body) == {}
        listed = api.ok("GET", path)["webhooks"]
        assert [(h["event_type"], h["address"]) for h in listed] == [
            ("ORDER_STATUS_CHANGE", webhook_receiver.url)
        ]
        api.add_order(shop, {"LAMP": 1})
        (hit,) = webhook_receiver.wait_delivered(1)
        assert hit.headers["Authorization"] == doc_webhook_auth(APP_KEY, APP_SECRET, hit.body)
        assert api.ok("DELETE", path, body={"event_type": "ORDER_STATUS_CHANGE"}) == {}
        assert api.ok("GET", path)["webhooks"] == []
        bad = api.call("PUT", path, body={"address": "x", "event_type": "NOPE"}).json()
        assert bad["code"] != 0
