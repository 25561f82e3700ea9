"""Pagination, batch splitting and per-variant failures against each simulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storesync.domain.platform import Platform
from storesync.errors import NotFoundError, PlatformRejectedError
from storesync.marketplaces.base import ListingRef, StockUpdate

from .conftest import Sim


def test_list_products_walks_every_page(sim: Sim) -> None:
    shop = sim.create_shop()
    products = [
        {"name": f"P{n}", "variants": [{"sku": f"SKU-{n}", "price": 1, "stock": n % 7}]}
        for n in range(250)
    ]
    sim.create_products(shop, products)

    listed = list(sim.client(shop).list_products())

    assert len(listed) == 250
    assert len({p.external_id for p in listed}) == 250
    assert sim.calls("list_products") == 3  # pages of 100


def test_list_and_get_orders_walk_every_page_and_batch_by_fifty(sim: Sim) -> None:
    shop = sim.create_shop()
    sim.create_products(shop, [{"name": "M", "variants": [{"sku": "M", "price": 1, "stock": 999}]}])
    created = {sim.create_order(shop, {"M": 1}) for _ in range(130)}
    client = sim.client(shop)
    now = datetime.fromtimestamp(sim.now(), UTC)

    listed = [ref.external_id for ref in client.list_orders(now - timedelta(hours=1), now)]
    orders = client.get_orders(listed)

    assert sorted(listed) == sorted(created)
    assert sim.calls("list_orders") == 2  # 100 + 30
    assert {o.external_id for o in orders} == created
    assert sim.calls("get_orders") == 3  # 50 + 50 + 30


def test_a_long_order_window_is_split_into_the_platforms_maximum(sim: Sim) -> None:
    shop = sim.create_shop()
    client = sim.client(shop)
    now = datetime.fromtimestamp(sim.now(), UTC)
    assert list(client.list_orders(now - timedelta(days=40), now)) == []
    # Shopee allows 15 days per call; TikTok has no documented cap.
    assert sim.calls("list_orders") == (3 if sim.platform is Platform.SHOPEE else 1)


def test_a_large_stock_push_is_split_into_the_platforms_batches(sim: Sim) -> None:
    shop = sim.create_shop()
    variants = [{"sku": f"V{n:03}", "price": 1, "stock": 1} for n in range(120)]
    refs = sim.create_products(shop, [{"name": "Many", "variants": variants}])
    client = sim.client(shop)

    results = client.update_stock([StockUpdate(ref, available=9) for ref in refs.values()])

    assert all(r.ok and r.confirmed_available == 9 for r in results)
    # Shopee: one item and at most 50 models per call. TikTok: one product per call, which we
    # cap at 100 SKUs (TikTok publishes no limit).
    expected = 3 if sim.platform is Platform.SHOPEE else 2
    assert sim.calls("update_stock") == expected
    assert {s.available for s in client.read_stock(list(refs.values()))} == {9}


def test_one_call_per_item_or_product(sim: Sim) -> None:
    shop = sim.create_shop()
    refs = sim.create_products(
        shop,
        [
            {"name": f"P{n}", "variants": [{"sku": f"S{n}", "price": 1, "stock": 1}]}
            for n in range(3)
        ],
    )
    sim.client(shop).update_stock([StockUpdate(ref, 2) for ref in refs.values()])
    assert sim.calls("update_stock") == 3


def test_per_variant_failures_do_not_fail_the_batch(sim: Sim) -> None:
    shop = sim.create_shop()
    tee = [{"sku": "TEE-S", "price": 1, "stock": 1}, {"sku": "TEE-M", "price": 1, "stock": 1}]
    refs = sim.create_products(
        shop,
        [
            {"name": "Tee", "variants": tee},
            {"name": "Cap", "variants": [{"sku": "CAP", "price": 1, "stock": 1}]},
        ],
    )
    tee_item = refs["TEE-S"].external_item_id
    foreign_variant = ListingRef(tee_item, refs["CAP"].external_variant_id + "9")
    gone_item = ListingRef("999" + refs["CAP"].external_item_id, refs["CAP"].external_variant_id)

    ok, wrong_variant, deleted, other_item = sim.client(shop).update_stock(
        [
            StockUpdate(refs["TEE-S"], 4),
            StockUpdate(foreign_variant, 4),
            StockUpdate(gone_item, 4),
            StockUpdate(refs["CAP"], 6),
        ]
    )

    assert ok.ok
    assert ok.confirmed_available == 4
    assert not wrong_variant.ok
    assert type(wrong_variant.error) is NotFoundError
    assert not deleted.ok
    assert type(deleted.error) is NotFoundError
    assert other_item.ok
    assert other_item.confirmed_available == 6
    assert wrong_variant.error is not None
    assert wrong_variant.error.details["platform"] == sim.platform.value


def test_shopee_refuses_stock_below_its_own_reservations(sim: Sim) -> None:
    if sim.platform is not Platform.SHOPEE:
        return  # TikTok counts committed units apart: nothing to refuse
    shop = sim.create_shop()
    refs = sim.create_products(
        shop, [{"name": "Mug", "variants": [{"sku": "MUG", "price": 1, "stock": 5}]}]
    )
    sim.create_order(shop, {"MUG": 3})
    client = sim.client(shop)

    # Our records lag behind (reserved_here=1 while Shopee holds 3): seller_stock 0 + 1 < 3.
    [result] = client.update_stock([StockUpdate(refs["MUG"], available=0, reserved_here=1)])

    assert not result.ok
    assert type(result.error) is PlatformRejectedError
    assert "reserved" in str(result.error.details["vendor_message"])
    [fixed] = client.update_stock([StockUpdate(refs["MUG"], available=0, reserved_here=3)])
    assert fixed.ok
    assert fixed.confirmed_available == 0
