"""Every protocol method against each simulator, speaking only the neutral protocol."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import httpx

from storesync.domain.order_status import OrderStatus
from storesync.domain.platform import Platform
from storesync.marketplaces.base import (
    EventKind,
    ListingStatus,
    PriceUpdate,
    StockUpdate,
)
from storesync.testing.waiting import wait_until

from .conftest import Receiver, Sim

PRODUCTS = [
    {"name": "Plain mug", "variants": [{"sku": "MUG-1", "price": 10.5, "stock": 7}]},
    {
        "name": "T-shirt",
        "variants": [
            {"sku": "TEE-S", "price": 20, "stock": 5},
            {"sku": "TEE-M", "price": 21, "stock": 0},
        ],
    },
]


def test_consent_link_and_code_exchange_connect_a_shop(sim: Sim) -> None:
    existing = sim.create_shop()  # the seller's shop on the platform
    app = sim.client()
    url = app.authorization_url("http://127.0.0.1:9/callback?from=test", state="st-42")
    # The simulator's consent page approves a given shop at once with `shop_id=`.
    consent = httpx.get(url + f"&shop_id={existing.external_shop_id}", follow_redirects=False)
    assert consent.status_code in (302, 303), consent.text
    back = urlsplit(consent.headers["location"])
    query = {k: v[0] for k, v in parse_qs(back.query).items()}
    assert back.path == "/callback"
    assert query["state"] == "st-42"
    assert query["from"] == "test"

    [shop] = app.exchange_code(query["code"], query.get("shop_id"))

    assert shop.external_shop_id == existing.external_shop_id
    assert shop.name
    assert shop.tokens.access_expires_at > datetime.now(UTC)
    assert shop.tokens.refresh_expires_at > shop.tokens.access_expires_at
    # The new credentials work for shop calls.
    assert list(sim.client(shop.credentials()).list_products()) == []


def test_list_products_returns_every_variant_with_stock_and_price(sim: Sim) -> None:
    shop = sim.create_shop()
    refs = sim.create_products(shop, PRODUCTS)
    products = {p.name: p for p in sim.client(shop).list_products()}

    assert set(products) == {"Plain mug", "T-shirt"}
    mug = products["Plain mug"]
    assert mug.status is ListingStatus.ACTIVE
    assert mug.updated_at is not None
    [variant] = mug.variants
    assert (variant.ref, variant.sku, variant.price, variant.available, variant.reserved) == (
        refs["MUG-1"], "MUG-1", Decimal("10.5"), 7, 0
    )  # fmt: skip
    assert variant.currency
    tee = {v.sku: v for v in products["T-shirt"].variants}
    assert {sku: (v.ref, v.available) for sku, v in tee.items()} == {
        "TEE-S": (refs["TEE-S"], 5),
        "TEE-M": (refs["TEE-M"], 0),
    }
    assert tee["TEE-S"].ref.external_item_id == products["T-shirt"].external_id


def test_list_products_since_a_time_skips_older_listings(sim: Sim) -> None:
    shop = sim.create_shop()
    sim.create_products(shop, PRODUCTS)
    later = datetime.fromtimestamp(sim.now(), UTC) + timedelta(hours=1)
    assert list(sim.client(shop).list_products(updated_since=later)) == []


def test_read_stock_shows_what_buyers_can_order_and_what_orders_hold(sim: Sim) -> None:
    shop = sim.create_shop()
    refs = sim.create_products(shop, PRODUCTS)
    sim.create_order(shop, {"MUG-1": 2})

    stock = sim.client(shop).read_stock([refs["MUG-1"], refs["TEE-S"]])

    assert [(s.ref, s.sku, s.available, s.reserved) for s in stock] == [
        (refs["MUG-1"], "MUG-1", 5, 2),
        (refs["TEE-S"], "TEE-S", 5, 0),
    ]


def test_update_stock_sets_what_buyers_can_order_on_both_platforms(sim: Sim) -> None:
    # Same neutral request, same neutral outcome, although Shopee stores 20 + 2 and TikTok 20.
    shop = sim.create_shop()
    refs = sim.create_products(shop, PRODUCTS)
    sim.create_order(shop, {"MUG-1": 2})
    client = sim.client(shop)

    results = client.update_stock(
        [StockUpdate(refs["MUG-1"], available=20, reserved_here=2), StockUpdate(refs["TEE-M"], 3)]
    )

    assert [(r.ref, r.ok, r.confirmed_available, r.error) for r in results] == [
        (refs["MUG-1"], True, 20, None),
        (refs["TEE-M"], True, 3, None),
    ]
    stock = {s.sku: (s.available, s.reserved) for s in client.read_stock(list(refs.values()))}
    assert stock == {"MUG-1": (20, 2), "TEE-S": (5, 0), "TEE-M": (3, 0)}


def test_update_prices_changes_the_listed_price(sim: Sim) -> None:
    shop = sim.create_shop()
    refs = sim.create_products(shop, PRODUCTS)
    client = sim.client(shop)
    currency = next(v.currency for p in client.list_products() for v in p.variants)
    assert currency is not None

    [result] = client.update_prices([PriceUpdate(refs["TEE-S"], Decimal("12.34"), currency)])

    assert result.ok, result.error
    prices = {v.sku: v.price for p in client.list_products() for v in p.variants}
    assert prices["TEE-S"] == Decimal("12.34")
    assert prices["MUG-1"] == Decimal("10.5")


def test_list_orders_and_get_orders_import_what_was_sold(sim: Sim) -> None:
    shop = sim.create_shop()
    refs = sim.create_products(shop, PRODUCTS)
    first = sim.create_order(shop, {"MUG-1": 2, "TEE-S": 1})
    second = sim.create_order(shop, {"TEE-S": 1}, status="UNPAID")
    client = sim.client(shop)
    now = datetime.fromtimestamp(sim.now(), UTC)

    listed = [ref.external_id for ref in client.list_orders(now - timedelta(hours=1), now)]
    orders = {o.external_id: o for o in client.get_orders(listed)}

    assert sorted(listed) == sorted([first, second])
    one = orders[first]
    assert one.status is OrderStatus.READY_TO_SHIP
    assert one.currency
    assert one.created_at <= one.updated_at <= now + timedelta(seconds=1)
    assert sorted((line.ref, line.sku, line.quantity) for line in one.lines) == sorted(
        [(refs["MUG-1"], "MUG-1", 2), (refs["TEE-S"], "TEE-S", 1)]
    )
    assert {line.sku: line.unit_price for line in one.lines}["MUG-1"] == Decimal("10.5")
    assert orders[second].status is OrderStatus.PENDING
    assert orders[second].raw_status == "UNPAID"


def test_an_order_moved_on_the_platform_is_listed_again_with_its_new_status(sim: Sim) -> None:
    shop = sim.create_shop()
    sim.create_products(shop, PRODUCTS)
    order_id = sim.create_order(shop, {"MUG-1": 1})
    shipped = "SHIPPED" if sim.platform is Platform.SHOPEE else "IN_TRANSIT"
    sim.control.post(f"/_sim/orders/{order_id}/status", json={"status": shipped}).raise_for_status()
    client = sim.client(shop)
    now = datetime.fromtimestamp(sim.now(), UTC)

    [ref] = client.list_orders(now - timedelta(minutes=5), now + timedelta(seconds=2))
    [order] = client.get_orders([ref.external_id])

    assert order.status is OrderStatus.SHIPPED


def test_a_real_delivered_webhook_verifies_and_parses(sim: Sim, receiver: Receiver) -> None:
    shop = sim.create_shop()
    sim.create_products(shop, PRODUCTS)
    sim.set_webhook_url(receiver.url)
    order_id = sim.create_order(shop, {"MUG-1": 1})

    [delivery] = receiver.wait(1)
    app = sim.client()  # the receiver verifies before it knows which shop this is
    assert app.verify_webhook(raw_body=delivery.body, headers=delivery.headers, url=receiver.url)
    assert not app.verify_webhook(
        raw_body=delivery.body + b" ", headers=delivery.headers, url=receiver.url
    )
    stranger = sim.client(secret="not-our-secret")
    assert not stranger.verify_webhook(
        raw_body=delivery.body, headers=delivery.headers, url=receiver.url
    )

    event = app.parse_webhook(delivery.body)
    assert event.platform is sim.platform
    assert event.kind is EventKind.ORDER_STATUS
    assert event.external_shop_id == shop.external_shop_id
    assert event.order_external_id == order_id
    assert event.status is OrderStatus.READY_TO_SHIP
    assert event.event_id
    assert event.occurred_at is not None


def test_lost_pushes_are_fetched_and_confirmed(sim: Sim) -> None:
    shop = sim.create_shop()
    sim.create_products(shop, PRODUCTS)
    order_id = sim.create_order(shop, {"MUG-1": 1})  # no webhook URL: nowhere to deliver
    app = sim.client()

    if sim.platform is Platform.TIKTOK:
        # TikTok has no lost-push API: an empty batch, and confirming is a no-op.
        batch = app.fetch_lost_events()
        assert (batch.events, batch.cursor, batch.has_more) == ((), None, False)
        app.confirm_lost_events("anything")
        return

    wait_until(lambda: app.fetch_lost_events().events, 10, "the lost push to be kept")
    batch = app.fetch_lost_events()
    [event] = batch.events
    assert event.kind is EventKind.ORDER_STATUS
    assert event.order_external_id == order_id
    assert event.external_shop_id == shop.external_shop_id
    assert batch.cursor is not None
    app.confirm_lost_events(batch.cursor)
    assert app.fetch_lost_events().events == ()
