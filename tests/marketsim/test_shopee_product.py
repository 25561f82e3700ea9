"""Catalog, stock and price endpoints, and the platform's stock semantics."""

from __future__ import annotations

from typing import Any

from tests.marketsim.shopee_helpers import Client, product

LIST = "/api/v2/product/get_item_list"
BASE = "/api/v2/product/get_item_base_info"
MODELS = "/api/v2/product/get_model_list"
STOCK = "/api/v2/product/update_stock"
PRICE = "/api/v2/product/update_price"


def error(client: Client, *args: Any, **kwargs: Any) -> tuple[int, str]:
    response = client.call(*args, **kwargs)
    return response.status_code, response.json()["error"]


def test_control_api_layout_single_variant_has_no_models(shopee: Client) -> None:
    skus = shopee.add_products(
        [product("Mug", ("MUG", 9.5, 3)), product("Tee", ("TEE-S", 10, 1), ("TEE-M", 10, 2))]
    )
    assert skus["MUG"]["model_id"] == 0
    assert skus["TEE-S"]["item_id"] == skus["TEE-M"]["item_id"]
    assert skus["TEE-S"]["model_id"] != skus["TEE-M"]["model_id"] != 0
    # Ids above 2**31 catch clients that keep them in 32-bit integers.
    assert skus["MUG"]["item_id"] > 2**31
    assert skus["TEE-S"]["model_id"] > 2**31


def test_get_item_list_pages_with_offset(shopee: Client) -> None:
    shopee.add_products([product(f"P{i}", (f"SKU{i}", 1, 1)) for i in range(25)])
    seen: list[int] = []
    offset, pages = 0, 0
    while True:
        page = shopee.ok("GET", LIST, {"offset": offset, "page_size": 10, "item_status": "NORMAL"})
        assert page["total_count"] == 25
        seen += [i["item_id"] for i in page["item"]]
        pages += 1
        if not page["has_next_page"]:
            break
        offset = page["next_offset"]
    assert pages == 3
    assert len(seen) == len(set(seen)) == 25


def test_get_item_list_validates_its_parameters(shopee: Client) -> None:
    assert error(shopee, "GET", LIST, {"page_size": 101, "item_status": "NORMAL"}) == (
        400,
        "error_param",
    )
    assert error(shopee, "GET", LIST, {"page_size": 10}) == (400, "error_param")  # item_status
    assert error(shopee, "GET", LIST, {"page_size": 10, "item_status": "NOPE"})[1] == "error_param"


def test_get_item_list_filters_by_status_and_update_time(shopee: Client) -> None:
    shopee.add_products([product("Old", ("OLD", 1, 1))])
    shopee.advance(100)
    later = shopee.now()
    skus = shopee.add_products(
        [product("New", ("NEW", 1, 1)), product("Off", ("OFF", 1, 1), status="UNLIST")]
    )
    page = shopee.ok(
        "GET", LIST, {"page_size": 10, "item_status": "NORMAL", "update_time_from": later}
    )
    assert [i["item_id"] for i in page["item"]] == [skus["NEW"]["item_id"]]
    # Repeated keys (httpx sends a list that way) and comma lists both work.
    both = shopee.ok("GET", LIST, {"page_size": 10, "item_status": ["NORMAL", "UNLIST"]})
    assert both["total_count"] == 3
    comma = shopee.ok("GET", LIST, {"page_size": 10, "item_status": "NORMAL,UNLIST"})
    assert comma["total_count"] == 3


def test_item_base_info_of_an_item_without_models(shopee: Client) -> None:
    skus = shopee.add_products([product("Mug", ("MUG", 9.5, 3))])
    info = shopee.ok("GET", BASE, {"item_id_list": skus["MUG"]["item_id"]})["item_list"][0]
    assert info["has_model"] is False
    assert info["item_sku"] == "MUG"
    assert info["price_info"][0]["current_price"] == 9.5
    assert info["price_info"][0]["currency"] == "SGD"
    assert info["stock_info_v2"]["seller_stock"][0]["stock"] == 3


def test_item_base_info_batch_limit(shopee: Client) -> None:
    skus = shopee.add_products([product(f"P{i}", (f"S{i}", 1, 1)) for i in range(51)])
    ids = [str(v["item_id"]) for v in skus.values()]
    assert len(shopee.ok("GET", BASE, {"item_id_list": ",".join(ids[:50])})["item_list"]) == 50
    assert error(shopee, "GET", BASE, {"item_id_list": ",".join(ids)}) == (400, "error_param")


def test_model_list_of_an_item_with_variants(shopee: Client) -> None:
    skus = shopee.add_products([product("Tee", ("TEE-S", 10, 1), ("TEE-M", 11, 2))])
    models = shopee.ok("GET", MODELS, {"item_id": skus["TEE-S"]["item_id"]})
    by_sku = {m["model_sku"]: m for m in models["model"]}
    assert by_sku["TEE-M"]["model_id"] == skus["TEE-M"]["model_id"]
    assert by_sku["TEE-M"]["price_info"][0]["original_price"] == 11
    assert by_sku["TEE-M"]["stock_info_v2"]["summary_info"]["total_available_stock"] == 2
    assert len(models["tier_variation"][0]["option_list"]) == 2


def stock_body(item_id: int, entries: dict[int, int]) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "stock_list": [{"model_id": m, "seller_stock": [{"stock": s}]} for m, s in entries.items()],
    }


def test_update_stock_batch_limit_is_50_models(shopee: Client) -> None:
    variants = [(f"V{i}", 1.0, 1) for i in range(51)]
    skus = shopee.add_products([product("Many", *variants)])
    item_id = skus["V0"]["item_id"]
    model_ids = [skus[f"V{i}"]["model_id"] for i in range(51)]
    ok = shopee.ok("POST", STOCK, body=stock_body(item_id, dict.fromkeys(model_ids[:50], 7)))
    assert len(ok["success_list"]) == 50
    too_many = stock_body(item_id, dict.fromkeys(model_ids, 7))
    assert error(shopee, "POST", STOCK, body=too_many) == (400, "error_param")
    assert error(shopee, "POST", STOCK, body=stock_body(item_id, {}))[1] == "error_param"


def test_stock_push_below_reserved_fails_for_that_model_only(shopee: Client) -> None:
    skus = shopee.add_products([product("Tee", ("TEE-S", 10, 5), ("TEE-M", 10, 5))])
    shopee.order({"TEE-S": 3})
    item_id = skus["TEE-S"]["item_id"]
    small, medium = skus["TEE-S"]["model_id"], skus["TEE-M"]["model_id"]
    result = shopee.ok("POST", STOCK, body=stock_body(item_id, {small: 2, medium: 9}))
    assert [f["model_id"] for f in result["failure_list"]] == [small]
    assert "reserved" in result["failure_list"][0]["failed_reason"]
    assert result["success_list"] == [{"model_id": medium, "location_id": "", "stock": 9}]
    assert shopee.stock()["TEE-S"] == {"seller_stock": 5, "reserved": 3, "available": 2}
    assert shopee.stock()["TEE-M"]["seller_stock"] == 9


def test_update_stock_of_item_without_models_uses_model_id_zero(shopee: Client) -> None:
    skus = shopee.add_products([product("Mug", ("MUG", 9.5, 3))])
    item_id = skus["MUG"]["item_id"]
    assert shopee.ok("POST", STOCK, body=stock_body(item_id, {0: 8}))["success_list"]
    assert shopee.stock()["MUG"]["seller_stock"] == 8
    bad = shopee.ok("POST", STOCK, body=stock_body(item_id, {123: 8}))
    assert bad["failure_list"][0]["model_id"] == 123


def test_unknown_item_is_not_found(shopee: Client) -> None:
    assert error(shopee, "POST", STOCK, body=stock_body(1, {0: 1})) == (404, "error_item_not_found")


def test_update_price(shopee: Client) -> None:
    skus = shopee.add_products([product("Tee", ("TEE-S", 10, 5), ("TEE-M", 10, 5))])
    item_id, model = skus["TEE-S"]["item_id"], skus["TEE-S"]["model_id"]
    body = {"item_id": item_id, "price_list": [{"model_id": model, "original_price": 12.5}]}
    assert shopee.ok("POST", PRICE, body=body)["success_list"] == [
        {"model_id": model, "original_price": 12.5}
    ]
    models = shopee.ok("GET", MODELS, {"item_id": item_id})["model"]
    assert (
        next(m for m in models if m["model_id"] == model)["price_info"][0]["current_price"] == 12.5
    )
    too_many = {"item_id": item_id, "price_list": [{"model_id": model, "original_price": 1}] * 51}
    assert error(shopee, "POST", PRICE, body=too_many)[1] == "error_param"


def test_integer_price_regions_refuse_decimals(shopee: Client) -> None:
    shopee.new_shop(region="ID")
    skus = shopee.add_products([product("Kopi", ("KOPI", 15000, 5))])
    body = {
        "item_id": skus["KOPI"]["item_id"],
        "price_list": [{"model_id": 0, "original_price": 15000.5}],
    }
    result = shopee.ok("POST", PRICE, body=body)
    assert result["failure_list"][0]["model_id"] == 0
    assert result["success_list"] == []


def test_orders_reserve_ship_and_release_stock(shopee: Client) -> None:
    shopee.add_products([product("Mug", ("MUG", 9.5, 5))])
    shipped = shopee.order({"MUG": 2})
    cancelled = shopee.order({"MUG": 1})
    assert shopee.stock()["MUG"] == {"seller_stock": 5, "reserved": 3, "available": 2}

    # Buyers can only order what is not reserved.
    assert shopee.add_order({"MUG": 3}).status_code == 409

    assert shopee.move(shipped, "SHIPPED").status_code == 200
    assert shopee.stock()["MUG"] == {"seller_stock": 3, "reserved": 1, "available": 2}
    assert shopee.move(cancelled, "CANCELLED").status_code == 200
    assert shopee.stock()["MUG"] == {"seller_stock": 3, "reserved": 0, "available": 3}
