"""Catalog and stock over real HTTP: product search paging and limits, detail, inventory search,
per-SKU inventory update errors, price update, and the available/committed stock split."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.marketsim.tiktok_helpers import Api, Shop, sim

SEARCH = "/product/202309/products/search"
INVENTORY = "/product/202309/inventory/search"


@pytest.fixture(scope="module")
def server() -> Iterator[Api]:
    with sim(seed=5) as api:
        yield api


@pytest.fixture
def api(server: Api) -> Api:
    server.reset()
    server.shop = server.new_shop(name="Catalog Shop")
    return server


def shop(api: Api) -> Shop:
    assert api.shop is not None
    return api.shop


def one_product(api: Api, stock: int = 10) -> dict[str, Any]:
    variants = [
        {"sku": "TEE-S", "price": 19.9, "stock": stock},
        {"sku": "TEE-M", "price": 21, "stock": stock},
    ]
    return api.add_products(shop(api), [{"name": "Tee", "variants": variants}])


def search(api: Api, page_size: int, token: str = "", **body: Any) -> dict[str, Any]:
    query = {"page_size": str(page_size)}
    if token:
        query["page_token"] = token
    return api.ok("POST", SEARCH, query=query, body=body)


def inventory(api: Api, product_id: str) -> dict[str, dict[str, Any]]:
    data = api.ok("POST", INVENTORY, body={"product_ids": [product_id]})
    return {s["seller_sku"]: s for s in data["inventory"][0]["skus"]}


def update(api: Api, product_id: str, skus: list[dict[str, Any]]) -> dict[str, Any]:
    path = f"/product/202309/products/{product_id}/inventory/update"
    return api.ok("POST", path, body={"skus": skus})


def test_products_search_pages_through_everything_once(api: Api) -> None:
    products = [
        {"name": f"Item {i}", "variants": [{"sku": f"SKU-{i}", "price": 5, "stock": i}]}
        for i in range(23)
    ]
    api.add_products(shop(api), products)
    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        data = search(api, 10, token)
        pages += 1
        assert data["total_count"] == 23
        seen += [p["id"] for p in data["products"]]
        token = data["next_page_token"]
        if not token:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 23


@pytest.mark.parametrize("version", ["202309", "202312", "202502"])
def test_products_search_exists_in_every_version(api: Api, version: str) -> None:
    one_product(api)
    path = f"/product/{version}/products/search"
    data = api.ok("POST", path, query={"page_size": "5"}, body={})
    product = data["products"][0]
    assert product["title"] == "Tee"
    assert product["status"] == "ACTIVATE"
    sku = product["skus"][0]
    assert sku["price"] == {"currency": "MYR", "tax_exclusive_price": "19.9", "sale_price": "19.9"}
    assert sku["inventory"][0]["quantity"] == 10


def test_products_search_filters_by_seller_sku_and_status(api: Api) -> None:
    one_product(api)
    api.add_products(
        shop(api), [{"name": "Cap", "variants": [{"sku": "CAP", "price": 3, "stock": 1}]}]
    )
    assert [p["title"] for p in search(api, 10, seller_skus=["CAP"])["products"]] == ["Cap"]
    assert search(api, 10, status="DRAFT")["total_count"] == 0
    assert search(api, 10, status="ACTIVATE")["total_count"] == 2


def test_products_search_limits(api: Api) -> None:
    for size in ("0", "101"):
        response = api.call("POST", SEARCH, query={"page_size": size}, body={})
        assert response.json()["code"] == 12019109
    skus = [f"S{i}" for i in range(11)]
    response = api.call("POST", SEARCH, query={"page_size": "10"}, body={"seller_skus": skus})
    assert response.json()["code"] == 12019027


def test_page_token_is_tied_to_the_filters(api: Api) -> None:
    products = [
        {"name": f"P{i}", "variants": [{"sku": f"P{i}", "price": 1, "stock": 1}]} for i in range(3)
    ]
    api.add_products(shop(api), products)
    token = search(api, 2)["next_page_token"]
    assert token
    query = {"page_size": "2", "page_token": token}
    response = api.call("POST", SEARCH, query=query, body={"status": "DRAFT"})
    assert response.json()["code"] != 0


def test_product_detail(api: Api) -> None:
    ids = one_product(api)
    product_id = ids["TEE-S"]["product_id"]
    data = api.ok("GET", f"/product/202309/products/{product_id}")
    assert data["id"] == product_id
    assert data["product_status"] == "ACTIVATE"
    assert {s["seller_sku"]: s["id"] for s in data["skus"]} == {
        "TEE-S": ids["TEE-S"]["sku_id"],
        "TEE-M": ids["TEE-M"]["sku_id"],
    }
    missing = api.call("GET", "/product/202309/products/1729000000000000001").json()
    assert missing["code"] == 12019150


def test_inventory_search_by_product_and_by_sku(api: Api) -> None:
    ids = one_product(api)
    by_product = inventory(api, ids["TEE-S"]["product_id"])
    assert by_product["TEE-S"]["total_available_quantity"] == 10
    assert by_product["TEE-S"]["total_committed_quantity"] == 0
    warehouse = by_product["TEE-S"]["warehouse_inventory"][0]
    assert warehouse["available_quantity"] == 10
    data = api.ok("POST", INVENTORY, body={"sku_ids": [ids["TEE-M"]["sku_id"]]})
    assert [s["seller_sku"] for s in data["inventory"][0]["skus"]] == ["TEE-M"]


def test_inventory_search_batch_limits(api: Api) -> None:
    too_many_products = [str(i) for i in range(101)]
    response = api.call("POST", INVENTORY, body={"product_ids": too_many_products})
    assert response.json()["code"] == 12019120
    too_many_skus = [str(i) for i in range(601)]
    assert api.call("POST", INVENTORY, body={"sku_ids": too_many_skus}).json()["code"] == 12019015
    assert api.ok("POST", INVENTORY, body={"sku_ids": [str(i) for i in range(600)]}) == {
        "inventory": []
    }


def test_inventory_update_sets_what_buyers_can_order(api: Api) -> None:
    ids = one_product(api)
    product_id = ids["TEE-S"]["product_id"]
    data = update(
        api, product_id, [{"id": ids["TEE-S"]["sku_id"], "inventory": [{"quantity": 42}]}]
    )
    assert data == {}
    assert inventory(api, product_id)["TEE-S"]["total_available_quantity"] == 42
    stock = api.http.get("/_sim/stock", params={"shop_id": shop(api).shop_id}).json()
    assert stock["TEE-S"] == {"seller_stock": 42, "reserved": 0, "available": 42}


def test_inventory_update_reports_per_sku_failures_with_code_0(api: Api) -> None:
    ids = one_product(api)
    product_id = ids["TEE-S"]["product_id"]
    good, other = ids["TEE-S"]["sku_id"], ids["TEE-M"]["sku_id"]
    response = api.call(
        "POST",
        f"/product/202309/products/{product_id}/inventory/update",
        body={
            "skus": [
                {"id": good, "inventory": [{"quantity": 7}]},
                {"id": "1730000000000000001", "inventory": [{"quantity": 1}]},
                {"id": other, "inventory": [{"quantity": 100_000}]},
            ]
        },
    )
    payload = response.json()
    assert response.status_code == 200
    assert payload["code"] == 0
    errors = {e["detail"]["sku_id"]: e for e in payload["data"]["errors"]}
    assert set(errors) == {"1730000000000000001", other}
    assert errors["1730000000000000001"]["code"] == 12052557
    out_of_range = errors[other]
    assert out_of_range["code"] == 12052990
    assert out_of_range["detail"]["extra_errors"][0]["code"] == 12052055
    levels = inventory(api, product_id)
    assert levels["TEE-S"]["total_available_quantity"] == 7  # the good SKU was applied
    assert levels["TEE-M"]["total_available_quantity"] == 10  # the bad one was not


def test_inventory_update_with_unknown_warehouse_fails_that_sku(api: Api) -> None:
    ids = one_product(api)
    sku = ids["TEE-S"]["sku_id"]
    data = update(
        api,
        ids["TEE-S"]["product_id"],
        [{"id": sku, "inventory": [{"warehouse_id": "1", "quantity": 1}]}],
    )
    extra = data["errors"][0]["detail"]["extra_errors"][0]
    assert extra == {
        "warehouse_id": "1",
        "code": 12052097,
        "message": "The warehouse does not exist",
    }


def test_inventory_update_of_a_product_of_another_shop_is_refused(api: Api) -> None:
    ids = one_product(api)
    other = api.new_shop()
    api.shop = other
    path = f"/product/202309/products/{ids['TEE-S']['product_id']}/inventory/update"
    body = {"skus": [{"id": ids["TEE-S"]["sku_id"], "inventory": [{"quantity": 1}]}]}
    assert api.call("POST", path, body=body).json()["code"] == 12052034


def test_order_commits_ship_removes_cancel_returns(api: Api) -> None:
    ids = one_product(api)
    product_id = ids["TEE-S"]["product_id"]
    shipped = api.add_order(shop(api), {"TEE-S": 3})
    cancelled = api.add_order(shop(api), {"TEE-S": 2}, status="UNPAID")
    levels = inventory(api, product_id)["TEE-S"]
    assert (levels["total_available_quantity"], levels["total_committed_quantity"]) == (5, 5)

    assert api.set_status(shipped, "IN_TRANSIT").status_code == 200
    levels = inventory(api, product_id)["TEE-S"]
    assert (levels["total_available_quantity"], levels["total_committed_quantity"]) == (5, 2)

    assert api.set_status(cancelled, "CANCELLED").status_code == 200
    levels = inventory(api, product_id)["TEE-S"]
    assert (levels["total_available_quantity"], levels["total_committed_quantity"]) == (7, 0)
    stock = api.http.get("/_sim/stock", params={"shop_id": shop(api).shop_id}).json()
    assert stock["TEE-S"] == {"seller_stock": 7, "reserved": 0, "available": 7}


def test_pushed_quantity_does_not_count_committed_units(api: Api) -> None:
    ids = one_product(api)
    product_id = ids["TEE-S"]["product_id"]
    api.add_order(shop(api), {"TEE-S": 4})
    update(api, product_id, [{"id": ids["TEE-S"]["sku_id"], "inventory": [{"quantity": 6}]}])
    levels = inventory(api, product_id)["TEE-S"]
    assert (levels["total_available_quantity"], levels["total_committed_quantity"]) == (6, 4)


def test_control_order_beyond_available_is_409(api: Api) -> None:
    one_product(api, stock=2)
    body = {"shop_id": shop(api).shop_id, "lines": [{"sku": "TEE-S", "quantity": 3}]}
    assert api.http.post("/_sim/orders", json=body).status_code == 409


def test_price_update(api: Api) -> None:
    ids = one_product(api)
    product_id = ids["TEE-S"]["product_id"]
    path = f"/product/202309/products/{product_id}/prices/update"
    body = {
        "skus": [{"id": ids["TEE-S"]["sku_id"], "price": {"amount": "25.50", "currency": "MYR"}}]
    }
    assert api.ok("POST", path, body=body) == {}
    detail = api.ok("GET", f"/product/202309/products/{product_id}")
    prices = {s["seller_sku"]: s["price"]["sale_price"] for s in detail["skus"]}
    assert prices == {"TEE-S": "25.5", "TEE-M": "21"}
    bad = {"skus": [{"id": ids["TEE-S"]["sku_id"], "price": {"amount": "-1", "currency": "MYR"}}]}
    assert api.call("POST", path, body=bad).json()["code"] == 12052012


def test_warehouses(api: Api) -> None:
    data = api.ok("GET", "/logistics/202309/warehouses")
    assert data["warehouses"][0]["is_default"] is True


def test_control_products_batch_is_all_or_nothing(api: Api) -> None:
    one_product(api)
    batch = [
        {"name": "New", "variants": [{"sku": "NEW", "price": 1, "stock": 1}]},
        {"name": "Clash", "variants": [{"sku": "TEE-S", "price": 1, "stock": 1}]},
    ]
    response = api.http.post(
        "/_sim/products", json={"shop_id": shop(api).shop_id, "products": batch}
    )
    assert response.status_code == 409
    assert search(api, 10)["total_count"] == 1
    unknown = api.http.post("/_sim/products", json={"shop_id": "1", "products": batch[:1]})
    assert unknown.status_code == 404
