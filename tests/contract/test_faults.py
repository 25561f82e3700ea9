"""Each injected fault maps to the SAME taxonomy class on both platforms."""

from __future__ import annotations

import threading

import pytest

from storesync.errors import (
    AuthenticationError,
    AuthorizationError,
    NetworkError,
    NetworkTimeoutError,
    PlatformAPIError,
    RateLimitError,
    StoreSyncError,
)
from storesync.marketplaces.base import StockUpdate, TokenSet

from .conftest import Sim

PRODUCT = [{"name": "Mug", "variants": [{"sku": "MUG", "price": 10, "stock": 5}]}]
DAY_S = 86_400


@pytest.mark.parametrize(
    ("kind", "cls"),
    [
        ("429", RateLimitError),
        ("5xx", PlatformAPIError),
        ("timeout", NetworkTimeoutError),
        ("reset", NetworkError),
    ],
)
def test_server_and_network_faults(sim: Sim, kind: str, cls: type[StoreSyncError]) -> None:
    shop = sim.create_shop()
    refs = sim.create_products(shop, PRODUCT)
    # The hang outlasts our read timeout, as a dead upstream would.
    sim.set_faults(families={"*": {"error_rate": 1.0, "error_kind": kind, "hang_seconds": 2.0}})
    client = sim.client(shop, read_s=0.5)

    with pytest.raises(StoreSyncError) as info:
        client.read_stock([refs["MUG"]])

    assert type(info.value) is cls
    assert info.value.retryable
    assert info.value.details["platform"] == sim.platform.value


def test_writes_fail_the_same_way_as_reads(sim: Sim) -> None:
    shop = sim.create_shop()
    refs = sim.create_products(shop, PRODUCT)
    sim.set_faults(families={"*": {"error_rate": 1.0, "error_kind": "5xx"}})
    # A call-level failure is raised, not folded into per-variant results: the whole push
    # is retried later (absolute values make that safe).
    with pytest.raises(PlatformAPIError):
        sim.client(shop).update_stock([StockUpdate(refs["MUG"], 3)])


def test_a_bad_signature_is_an_authentication_error(sim: Sim) -> None:
    shop = sim.create_shop()
    refs = sim.create_products(shop, PRODUCT)
    client = sim.client(shop, secret="wrong-secret")
    with pytest.raises(StoreSyncError) as info:
        client.read_stock([refs["MUG"]])
    assert type(info.value) is AuthenticationError
    assert info.value.details["vendor_code"]


def test_a_skewed_clock_is_an_authentication_error(sim: Sim) -> None:
    shop = sim.create_shop()
    refs = sim.create_products(shop, PRODUCT)
    client = sim.client(shop, clock=lambda: sim.now() - 600)  # 10 minutes behind
    with pytest.raises(StoreSyncError) as info:
        client.read_stock([refs["MUG"]])
    assert type(info.value) is AuthenticationError


def test_a_missing_permission_is_an_authorization_error(sim: Sim) -> None:
    shop = sim.create_shop()
    refs = sim.create_products(shop, PRODUCT)
    # The platform refuses for missing rights (Shopee error_permission, TikTok 105005 scope).
    sim.set_faults(families={"*": {"error_rate": 1.0, "error_kind": "permission"}})
    with pytest.raises(StoreSyncError) as info:
        sim.client(shop).read_stock([refs["MUG"]])
    assert type(info.value) is AuthorizationError
    assert not info.value.retryable


def test_expired_token_refreshes_once_under_ten_concurrent_calls(sim: Sim) -> None:
    shop = sim.create_shop()
    refs = sim.create_products(shop, PRODUCT)
    saved: list[TokenSet] = []
    client = sim.client(shop, on_tokens=saved.append)
    sim.advance_clock(8 * DAY_S)  # past both platforms' access-token lifetime (4 h, ~7 days)

    results: list[int] = []
    failures: list[BaseException] = []
    start = threading.Barrier(10)

    def worker() -> None:
        start.wait(timeout=5)
        try:
            [stock] = client.read_stock([refs["MUG"]])
            results.append(stock.available)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert failures == []
    assert results == [5] * 10
    assert sim.calls("refresh") == 1
    assert len(saved) == 1
    assert saved[0].access_token != shop.tokens.access_token
    assert saved[0].refresh_token != shop.tokens.refresh_token


def test_a_revoked_access_token_is_replaced_by_one_refresh(sim: Sim) -> None:
    shop = sim.create_shop()
    refs = sim.create_products(shop, PRODUCT)
    saved: list[TokenSet] = []
    client = sim.client(shop, on_tokens=saved.append)
    sim.revoke(shop.tokens.access_token)

    [stock] = client.read_stock([refs["MUG"]])

    assert stock.available == 5
    assert sim.calls("refresh") == 1
    assert len(saved) == 1


def test_a_revoked_grant_is_a_final_authentication_error(sim: Sim) -> None:
    shop = sim.create_shop()
    refs = sim.create_products(shop, PRODUCT)
    client = sim.client(shop)
    # Someone else used the (single-use) refresh token and the access token was revoked:
    # nothing this client holds works any more.
    sim.client(shop).refresh_tokens()
    sim.revoke(shop.tokens.access_token)

    with pytest.raises(StoreSyncError) as info:
        client.read_stock([refs["MUG"]])

    assert type(info.value) is AuthenticationError  # final: pause the shop, ask to reconnect
    assert not info.value.retryable
    assert sim.calls("refresh") == 2  # the other client's, and our one failed attempt
