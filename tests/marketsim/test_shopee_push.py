"""Push code 3 delivery, its signature, retries, and the lost-push recovery API."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.marketsim.conftest import WebhookReceiver
from tests.marketsim.shopee_helpers import PARTNER_KEY, Client, doc_push_auth, product

LOST = "/api/v2/push/get_lost_push_message"
CONFIRM = "/api/v2/push/confirm_consumed_lost_push_message"


def with_receiver(
    shopee_sim: Callable[..., Client], receiver: WebhookReceiver, **kw: Any
) -> Client:
    client = shopee_sim(webhook_url=receiver.url, **kw)
    client.new_shop()
    client.add_products([product("Mug", ("MUG", 9.5, 100))])
    return client


def lost(client: Client) -> dict[str, Any]:
    return client.ok("GET", LOST, public=True)


def test_order_creation_and_moves_are_pushed_signed(
    shopee_sim: Callable[..., Client], webhook_receiver: WebhookReceiver
) -> None:
    client = with_receiver(shopee_sim, webhook_receiver)
    sn = client.order({"MUG": 1})
    client.move(sn, "SHIPPED")
    first, second = webhook_receiver.wait_delivered(2)

    for hit in (first, second):
        # Verified by hand from the raw bytes, as a receiver must (never re-serialised JSON).
        assert hit.headers["Authorization"] == doc_push_auth(
            PARTNER_KEY, webhook_receiver.url, hit.body
        )
        assert hit.headers["Content-Type"] == "application/json"
    assert client.shop is not None
    push = first.json
    assert set(push) == {"shop_id", "code", "timestamp", "msg_id", "data"}
    assert (push["shop_id"], push["code"]) == (client.shop.shop_id, 3)
    assert push["data"] == {
        "ordersn": sn,
        "status": "READY_TO_SHIP",
        "update_time": push["data"]["update_time"],
        "completed_scenario": "",
        "items": [],
    }
    assert second.json["data"]["status"] == "SHIPPED"
    assert second.json["data"]["update_time"] > push["data"]["update_time"]
    assert first.json["msg_id"] != second.json["msg_id"]


def test_failed_push_is_retried_until_delivered(
    shopee_sim: Callable[..., Client], webhook_receiver: WebhookReceiver
) -> None:
    webhook_receiver.plan = [500, 503]
    client = with_receiver(shopee_sim, webhook_receiver)
    client.order({"MUG": 1})
    delivered = webhook_receiver.wait_delivered(1)
    assert [h.status for h in webhook_receiver.hits] == [500, 503, 200]
    # The same bytes every attempt, so the same signature.
    assert len({h.body for h in webhook_receiver.hits}) == 1
    assert delivered[0].json["code"] == 3
    state = client.wait_pushes_settled()
    assert state["stats"]["retried"] == 2
    assert lost(client)["push_message_list"] == []


def test_push_given_up_after_the_schedule_is_lost_then_recovered(
    shopee_sim: Callable[..., Client], webhook_receiver: WebhookReceiver
) -> None:
    webhook_receiver.default_status = 500
    client = with_receiver(shopee_sim, webhook_receiver, retry_schedule_s=(1, 2, 3))
    sn = client.order({"MUG": 1})
    state = client.wait_pushes_settled()
    assert len(webhook_receiver.hits) == 4  # first attempt + 3 retries
    assert state["stats"]["lost"] == 1

    page = lost(client)
    assert page["has_next_page"] is False
    assert client.shop is not None
    (message,) = page["push_message_list"]
    assert (message["shop_id"], message["code"]) == (client.shop.shop_id, 3)
    assert isinstance(message["data"], str)  # a JSON string, as Shopee sends it
    assert json.loads(message["data"])["ordersn"] == sn

    client.ok("POST", CONFIRM, body={"last_message_id": page["last_message_id"]}, public=True)
    assert lost(client)["push_message_list"] == []


def test_dropped_pushes_show_up_as_lost(
    shopee_sim: Callable[..., Client], webhook_receiver: WebhookReceiver
) -> None:
    client = with_receiver(shopee_sim, webhook_receiver)
    client.set_faults({"webhooks": {"drop": 1.0}})
    sns = [client.order({"MUG": 1}) for _ in range(3)]
    client.wait_pushes_settled()
    assert webhook_receiver.hits == []
    data = [json.loads(m["data"]) for m in lost(client)["push_message_list"]]
    assert [d["ordersn"] for d in data] == sns


def test_lost_pushes_page_by_100_and_expire_after_three_days(
    shopee_sim: Callable[..., Client],
) -> None:
    client = shopee_sim()  # no callback URL: every push is lost
    client.new_shop()
    client.add_products([product("Mug", ("MUG", 1, 1000))])
    for _ in range(101):
        client.order({"MUG": 1})
    client.wait_pushes_settled()
    page = lost(client)
    assert len(page["push_message_list"]) == 100
    assert page["has_next_page"] is True
    client.ok("POST", CONFIRM, body={"last_message_id": page["last_message_id"]}, public=True)
    rest = lost(client)
    assert len(rest["push_message_list"]) == 1
    assert rest["has_next_page"] is False
    client.advance(3 * 86400 + 1)
    assert lost(client)["push_message_list"] == []


def test_duplicate_fault_sends_identical_bytes_twice(
    shopee_sim: Callable[..., Client], webhook_receiver: WebhookReceiver
) -> None:
    client = with_receiver(shopee_sim, webhook_receiver)
    client.set_faults({"webhooks": {"duplicate": 1.0}})
    client.order({"MUG": 1})
    first, second = webhook_receiver.wait_delivered(2)
    assert first.body == second.body
    assert first.headers["Authorization"] == second.headers["Authorization"]


def test_push_config_api_sets_the_callback_and_codes(
    shopee_sim: Callable[..., Client], webhook_receiver: WebhookReceiver
) -> None:
    client = shopee_sim()
    client.new_shop()
    client.add_products([product("Mug", ("MUG", 1, 10))])
    body = {"callback_url": webhook_receiver.url, "set_push_config_on": [3]}
    assert client.ok("POST", "/api/v2/push/set_app_push_config", body=body, public=True)
    config = client.ok("GET", "/api/v2/push/get_app_push_config", public=True)
    assert config["callback_url"] == webhook_receiver.url
    assert 3 in config["push_config_on_list"]
    client.order({"MUG": 1})
    webhook_receiver.wait_delivered(1)

    off = {"set_push_config_off": [3]}
    client.ok("POST", "/api/v2/push/set_app_push_config", body=off, public=True)
    client.order({"MUG": 1})
    client.wait_pushes_settled()
    assert len(webhook_receiver.hits) == 1
