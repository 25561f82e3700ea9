"""Orders over real HTTP: search paging and filters, detail batch limit, JSON shape, lifecycle."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.marketsim.tiktok_helpers import Api, Shop, sim

SEARCH = "/order/202309/orders/search"


@pytest.fixture(scope="module")
def server() -> Iterator[Api]:
    with sim(seed=8) as api:
        yield api


@pytest.fixture
def api(server: Api) -> Api:
    server.reset()
    shop = server.new_shop(name="Order Shop")
    server.shop = shop
    variants = [
        {"sku": "MUG", "price": 12.5, "stock": 500},
        {"sku": "CUP", "price": 3, "stock": 500},
    ]
    server.add_products(shop, [{"name": "Mug", "variants": variants}])
    return server


def shop(api: Api) -> Shop:
    assert api.shop is not None
    return api.shop


def search(api: Api, page_size: str = "10", token: str = "", **body: Any) -> dict[str, Any]:
    query = {"page_size": page_size}
    if token:
        query["page_token"] = token
    return api.ok("POST", SEARCH, query=query, body=body)


def detail(api: Api, ids: list[str], version: str = "202309") -> dict[str, Any]:
    return api.ok("GET", f"/order/{version}/orders", query={"ids": ",".join(ids)})


def test_order_json_has_one_line_item_per_unit(api: Api) -> None:
    order_id = api.add_order(shop(api), {"MUG": 2, "CUP": 1})
    (order,) = detail(api, [order_id])["orders"]
    assert order["id"] == order_id
    assert order["status"] == "AWAITING_SHIPMENT"
    assert order["create_time"] == order["update_time"] == order["paid_time"]
    assert order["payment"]["currency"] == "MYR"
    assert order["payment"]["sub_total"] == order["payment"]["total_amount"] == "28"
    items = order["line_items"]
    assert sorted(i["seller_sku"] for i in items) == ["CUP", "MUG", "MUG"]
    assert len({i["id"] for i in items}) == 3
    assert "quantity" not in items[0]
    for item in items:
        assert item["display_status"] == "AWAITING_SHIPMENT"
        assert item["package_status"] == "TO_FULFILL"
        assert {"sku_id", "product_id", "sale_price", "original_price"} <= set(item)


def test_unpaid_order_has_no_paid_time_until_paid(api: Api) -> None:
    order_id = api.add_order(shop(api), {"MUG": 1}, status="UNPAID")
    assert "paid_time" not in detail(api, [order_id])["orders"][0]
    api.set_status(order_id, "AWAITING_SHIPMENT")
    assert "paid_time" in detail(api, [order_id])["orders"][0]


def test_orders_walk_the_whole_status_enum_and_update_time_advances(api: Api) -> None:
    order_id = api.add_order(shop(api), {"MUG": 1}, status="UNPAID")
    last = detail(api, [order_id])["orders"][0]["update_time"]
    flow = [
        "ON_HOLD",
        "AWAITING_SHIPMENT",
        "PARTIALLY_SHIPPING",
        "AWAITING_COLLECTION",
        "IN_TRANSIT",
        "DELIVERED",
        "COMPLETED",
    ]
    for status in flow:
        api.advance(60)
        assert api.set_status(order_id, status).status_code == 200
        order = detail(api, [order_id])["orders"][0]
        assert order["status"] == status
        assert order["update_time"] >= last + 60
        last = order["update_time"]
    assert order["line_items"][0]["package_status"] == "COMPLETED"


def test_illegal_status_moves_are_409(api: Api) -> None:
    order_id = api.add_order(shop(api), {"MUG": 1})
    assert api.set_status(order_id, "UNPAID").status_code == 409  # backwards
    assert api.set_status(order_id, "IN_TRANSIT").status_code == 200
    assert api.set_status(order_id, "CANCELLED").status_code == 409  # already shipped
    assert api.set_status(order_id, "NOT_A_STATUS").status_code == 400
    assert api.set_status("1", "COMPLETED").status_code == 404


def test_orders_search_pages_with_tokens(api: Api) -> None:
    created = {api.add_order(shop(api), {"CUP": 1}) for _ in range(12)}
    first = search(api, "5")
    assert first["total_count"] == 12
    seen = [o["id"] for o in first["orders"]]
    token = first["next_page_token"]
    while token:
        page = search(api, "5", token)
        seen += [o["id"] for o in page["orders"]]
        token = page["next_page_token"]
    assert len(seen) == 12
    assert set(seen) == created


def test_orders_search_page_size_is_required_and_bounded(api: Api) -> None:
    for query in ({}, {"page_size": "0"}, {"page_size": "101"}):
        response = api.call("POST", SEARCH, query=query, body={})
        assert response.status_code == 200
        assert response.json()["code"] != 0
    assert search(api, "100")["orders"] == []


def test_orders_search_filters_by_update_time_and_status(api: Api) -> None:
    old = api.add_order(shop(api), {"CUP": 1})
    api.advance(3600)
    now = int(api.http.get("/_sim/clock").json()["now"])
    fresh = api.add_order(shop(api), {"CUP": 1}, status="UNPAID")
    found = search(api, update_time_ge=now - 5)
    assert [o["id"] for o in found["orders"]] == [fresh]
    assert [o["id"] for o in search(api, update_time_lt=now - 5)["orders"]] == [old]
    assert [o["id"] for o in search(api, order_status="UNPAID")["orders"]] == [fresh]
    api.set_status(old, "CANCELLED")
    assert [
        o["id"] for o in search(api, update_time_ge=now - 5, order_status="CANCELLED")["orders"]
    ] == [old]


def test_orders_search_sorts_by_the_requested_field(api: Api) -> None:
    first = api.add_order(shop(api), {"CUP": 1})
    api.advance(10)
    second = api.add_order(shop(api), {"CUP": 1})
    api.advance(10)
    api.set_status(first, "IN_TRANSIT")
    default = [o["id"] for o in search(api)["orders"]]
    assert default == [second, first]  # create_time DESC
    query = {"page_size": "10", "sort_field": "update_time", "sort_order": "DESC"}
    by_update = api.ok("POST", SEARCH, query=query, body={})
    assert [o["id"] for o in by_update["orders"]] == [first, second]
    query["sort_order"] = "ASC"
    query["sort_field"] = "create_time"
    assert [o["id"] for o in api.ok("POST", SEARCH, query=query, body={})["orders"]] == [
        first,
        second,
    ]


@pytest.mark.parametrize("version", ["202309", "202507"])
def test_order_detail_takes_up_to_50_ids(api: Api, version: str) -> None:
    order_id = api.add_order(shop(api), {"CUP": 1})
    ids = [order_id] + [str(576_400_000_000_000_000 + i) for i in range(49)]
    assert [o["id"] for o in detail(api, ids, version)["orders"]] == [order_id]
    response = api.call("GET", f"/order/{version}/orders", query={"ids": ",".join([*ids, "1"])})
    payload = response.json()
    assert payload["code"] == 21011001
    assert "50" in payload["message"]


def test_order_detail_hides_other_shops_orders(api: Api) -> None:
    order_id = api.add_order(shop(api), {"CUP": 1})
    api.shop = api.new_shop()
    assert detail(api, [order_id])["orders"] == []
