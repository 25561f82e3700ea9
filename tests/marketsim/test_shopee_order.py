"""get_order_list / get_order_detail: cursor paging, windows, batch limits, status moves."""

from __future__ import annotations

from typing import Any

from tests.marketsim.shopee_helpers import Client, product

LIST = "/api/v2/order/get_order_list"
DETAIL = "/api/v2/order/get_order_detail"
DAY = 86400
STATUSES = (
    "UNPAID",
    "READY_TO_SHIP",
    "PROCESSED",
    "RETRY_SHIP",
    "SHIPPED",
    "TO_CONFIRM_RECEIVE",
    "IN_CANCEL",
    "CANCELLED",
    "TO_RETURN",
    "COMPLETED",
)


def window(client: Client, **extra: Any) -> dict[str, Any]:
    now = client.now()
    return {"time_range_field": "create_time", "time_from": now - DAY, "time_to": now + 60, **extra}


def stocked(client: Client) -> None:
    client.add_products(
        [product("Mug", ("MUG", 9.5, 1000)), product("Tee", ("TS", 10, 5), ("TM", 12, 5))]
    )


def test_cursor_pagination_returns_every_order_once(shopee: Client) -> None:
    stocked(shopee)
    created = {shopee.order({"MUG": 1}) for _ in range(7)}
    seen: list[str] = []
    cursor, pages = "", 0
    while True:
        page = shopee.ok("GET", LIST, window(shopee, page_size=3, cursor=cursor))
        seen += [o["order_sn"] for o in page["order_list"]]
        pages += 1
        if not page["more"]:
            assert page["next_cursor"] == ""
            break
        cursor = page["next_cursor"]
    assert pages == 3
    assert sorted(seen) == sorted(created)


def test_order_status_only_when_asked_for(shopee: Client) -> None:
    stocked(shopee)
    shopee.order({"MUG": 1}, status="UNPAID")
    plain = shopee.ok("GET", LIST, window(shopee, page_size=10))["order_list"][0]
    assert "order_status" not in plain
    rich = shopee.ok(
        "GET", LIST, window(shopee, page_size=10, response_optional_fields="order_status")
    )
    assert rich["order_list"][0]["order_status"] == "UNPAID"
    filtered = shopee.ok("GET", LIST, window(shopee, page_size=10, order_status="READY_TO_SHIP"))
    assert filtered["order_list"] == []


def test_window_over_fifteen_days_is_refused(shopee: Client) -> None:
    now = shopee.now()
    params = {
        "time_range_field": "update_time",
        "time_from": now - 15 * DAY,
        "time_to": now,
        "page_size": 10,
    }
    assert shopee.call("GET", LIST, params).status_code == 200
    params["time_from"] -= 1
    response = shopee.call("GET", LIST, params)
    assert response.status_code == 400
    assert response.json()["error"] == "order.order_list_invalid_time"


def test_page_size_and_time_field_are_validated(shopee: Client) -> None:
    for bad in (
        {"page_size": 0},
        {"page_size": 101},
        {"page_size": 10, "time_range_field": "pay_time"},
    ):
        response = shopee.call("GET", LIST, window(shopee, **bad))
        assert response.json()["error"] == "error_param", bad


def test_order_detail_fields(shopee: Client) -> None:
    stocked(shopee)
    sn = shopee.order({"TM": 2, "MUG": 1})
    fields = "item_list,total_amount,pay_time,buyer_user_id"
    order = shopee.ok("GET", DETAIL, {"order_sn_list": sn, "response_optional_fields": fields})[
        "order_list"
    ][0]
    assert order["order_sn"] == sn
    assert order["order_status"] == "READY_TO_SHIP"
    assert order["create_time"] == order["update_time"]
    assert order["total_amount"] == 2 * 12 + 9.5
    lines = {(line["item_sku"], line["model_sku"]): line for line in order["item_list"]}
    assert lines[("", "TM")]["model_quantity_purchased"] == 2
    assert lines[("MUG", "")]["model_id"] == 0
    bare = shopee.ok("GET", DETAIL, {"order_sn_list": sn})["order_list"][0]
    assert "item_list" not in bare


def test_order_detail_batch_limit_is_50(shopee: Client) -> None:
    stocked(shopee)
    sns = [shopee.order({"MUG": 1}) for _ in range(51)]
    assert len(shopee.ok("GET", DETAIL, {"order_sn_list": ",".join(sns[:50])})["order_list"]) == 50
    response = shopee.call("GET", DETAIL, {"order_sn_list": ",".join(sns)})
    assert (response.status_code, response.json()["error"]) == (400, "error_param")


def test_orders_move_through_statuses_and_update_time_advances(shopee: Client) -> None:
    stocked(shopee)
    sn = shopee.order({"MUG": 1}, status="UNPAID")
    times = []
    for status in ("READY_TO_SHIP", "PROCESSED", "SHIPPED", "TO_CONFIRM_RECEIVE", "COMPLETED"):
        assert shopee.move(sn, status).status_code == 200
        order = shopee.ok("GET", DETAIL, {"order_sn_list": sn})["order_list"][0]
        assert order["order_status"] == status
        times.append(order["update_time"])
    assert times == sorted(set(times))  # strictly increasing, even within one second
    assert shopee.move(sn, "CANCELLED").status_code == 409  # nothing leaves COMPLETED


def test_update_time_window_finds_moved_orders(shopee: Client) -> None:
    stocked(shopee)
    sn = shopee.order({"MUG": 1})
    shopee.advance(3 * 3600)  # within the access token's 4 hours
    shopee.move(sn, "IN_CANCEL")
    now = shopee.now()
    recent = {
        "time_range_field": "update_time",
        "time_from": now - 60,
        "time_to": now,
        "page_size": 10,
    }
    assert [o["order_sn"] for o in shopee.ok("GET", LIST, recent)["order_list"]] == [sn]
    recent["time_range_field"] = "create_time"
    assert shopee.ok("GET", LIST, recent)["order_list"] == []


def test_every_status_of_the_enum_is_accepted(shopee: Client) -> None:
    stocked(shopee)
    for status in STATUSES:
        sn = shopee.order({"MUG": 1}, status=status)
        order = shopee.ok("GET", DETAIL, {"order_sn_list": sn})["order_list"][0]
        assert order["order_status"] == status
    assert shopee.add_order({"MUG": 1}, status="LOST").status_code == 400


def test_orders_of_another_shop_are_invisible(shopee: Client) -> None:
    stocked(shopee)
    sn = shopee.order({"MUG": 1})
    shopee.new_shop()
    assert shopee.ok("GET", DETAIL, {"order_sn_list": sn})["order_list"] == []
