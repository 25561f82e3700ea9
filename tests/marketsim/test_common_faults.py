"""Fault injection: determinism under a seed, and each fault kind as a client sees it."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from marketsim.common.faults import FaultInjector, FaultProfile
from marketsim.shopee.app import create_app
from tests.marketsim.shopee_helpers import PARTNER_ID, PARTNER_KEY, Client

SHOP_INFO = "/api/v2/shop/get_shop_info"


def profile(seed: int, **family: object) -> FaultProfile:
    return FaultProfile.model_validate(
        {"seed": seed, "families": {"order": {"error_rate": 0.5, **family}}}
    )


def kinds(injector: FaultInjector, family: str, n: int) -> list[str | None]:
    return [injector.decide(family).kind for _ in range(n)]


def test_same_seed_same_sequence_other_seed_other_sequence() -> None:
    first = kinds(FaultInjector(profile(7)), "order", 40)
    assert first == kinds(FaultInjector(profile(7)), "order", 40)
    assert first != kinds(FaultInjector(profile(8)), "order", 40)
    assert 5 < first.count("5xx") < 35


def test_each_family_has_its_own_stream() -> None:
    both = FaultProfile.model_validate({"seed": 1, "families": {"*": {"error_rate": 0.5}}})
    alone = FaultInjector(both)
    mixed = FaultInjector(both)
    expected = kinds(alone, "order", 20)
    got = []
    for _ in range(20):
        mixed.decide("product")  # interleaved calls of another family change nothing
        got.append(mixed.decide("order").kind)
    assert got == expected


def test_star_applies_to_families_without_their_own_entry() -> None:
    injector = FaultInjector(
        FaultProfile.model_validate(
            {"families": {"*": {"error_rate": 1.0, "error_kind": "429"}, "auth": {}}}
        )
    )
    assert injector.decide("stock").kind == "429"
    assert injector.decide("auth").kind is None
    assert injector.injected_counts() == {"429": 1}


def test_latency_stays_within_jitter() -> None:
    injector = FaultInjector(
        FaultProfile.model_validate(
            {"families": {"*": {"latency_ms": 20, "latency_jitter_ms": 10}}}
        )
    )
    latencies = [injector.decide("order").latency_s for _ in range(100)]
    assert all(0.010 <= s <= 0.030 for s in latencies)
    assert len(set(latencies)) > 50


def test_webhook_decisions_are_deterministic() -> None:
    raw = {"seed": 3, "webhooks": {"drop": 0.3, "duplicate": 0.3, "delay": 0.3, "reorder": 0.3}}
    a = FaultInjector(FaultProfile.model_validate(raw))
    b = FaultInjector(FaultProfile.model_validate(raw))
    assert [a.webhook() for _ in range(30)] == [b.webhook() for _ in range(30)]


def test_set_profile_restarts_the_sequence() -> None:
    injector = FaultInjector(profile(5))
    first = kinds(injector, "order", 10)
    injector.set_profile(profile(5))
    assert kinds(injector, "order", 10) == first


def test_a_typo_in_a_profile_is_an_error() -> None:
    with pytest.raises(ValidationError):
        FaultProfile.model_validate({"families": {"order": {"eror_rate": 0.5}}})
    with pytest.raises(ValidationError):
        FaultProfile.model_validate({"families": {"order": {"error_kind": "boom"}}})


# -- over HTTP -----------------------------------------------------------------------------------


def outcomes(client: Client, n: int) -> list[int]:
    return [client.call("GET", SHOP_INFO).status_code for _ in range(n)]


def test_profile_reproduces_the_same_fault_sequence_over_http(
    shopee_sim: Callable[..., Client],
) -> None:
    faults = {"seed": 11, "families": {"shop": {"error_rate": 0.4, "error_kind": "5xx"}}}
    runs = []
    for seed in (11, 11, 12):
        client = shopee_sim(faults=FaultProfile.model_validate({**faults, "seed": seed}))
        client.new_shop()
        runs.append(outcomes(client, 25))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    assert set(runs[0]) == {200, 500}


def test_5xx_and_429_faults_answer_in_shopee_envelope(shopee: Client) -> None:
    shopee.set_faults({"families": {"shop": {"error_rate": 1.0}}})
    response = shopee.call("GET", SHOP_INFO)
    assert (response.status_code, response.json()["error"]) == (500, "error_server")
    shopee.set_faults({"families": {"shop": {"error_rate": 1.0, "error_kind": "429"}}})
    response = shopee.call("GET", SHOP_INFO)
    assert (response.status_code, response.json()["error"]) == (429, "error_rate_limit")
    injected = shopee.http.get("/_sim/faults").json()["injected"]
    assert injected == {"429": 1}  # a PUT restarts the counts with the streams
    calls = shopee.http.get("/_sim/calls").json()[SHOP_INFO]
    assert calls == {"5xx": 1, "429": 1}


def test_reset_fault_is_a_connection_error_over_tcp(shopee: Client) -> None:
    shopee.set_faults({"families": {"shop": {"error_rate": 1.0, "error_kind": "reset"}}})
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError, httpx.ConnectError)):
        shopee.call("GET", SHOP_INFO)
    shopee.set_faults({})
    assert shopee.call("GET", SHOP_INFO).status_code == 200
    assert shopee.http.get("/_sim/calls").json()[SHOP_INFO] == {"reset": 1, "ok": 1}


def test_timeout_fault_hangs_past_the_client_timeout(shopee: Client) -> None:
    shopee.set_faults(
        {"families": {"shop": {"error_rate": 1.0, "error_kind": "timeout", "hang_seconds": 1.0}}}
    )
    shopee.http.timeout = httpx.Timeout(0.2)
    with pytest.raises(httpx.ReadTimeout):
        shopee.call("GET", SHOP_INFO)


def test_latency_fault_slows_calls(shopee: Client) -> None:
    shopee.set_faults({"families": {"shop": {"latency_ms": 150}}})
    response = shopee.call("GET", SHOP_INFO)
    assert response.status_code == 200
    assert response.elapsed.total_seconds() >= 0.15


def test_rate_limit_returns_error_rate_limit(shopee: Client) -> None:
    shopee.set_faults({"rate_limits": {"shop": 3}})
    statuses = [shopee.call("GET", SHOP_INFO) for _ in range(4)]
    assert [r.status_code for r in statuses[:3]] == [200, 200, 200]
    assert (statuses[3].status_code, statuses[3].json()["error"]) == (429, "error_rate_limit")
    # Per shop and per family: another shop and another family still pass.
    other = shopee.shop
    shopee.new_shop()
    assert shopee.call("GET", SHOP_INFO).status_code == 200
    shopee.shop = other
    params = {"page_size": 1, "item_status": "NORMAL"}
    assert shopee.call("GET", "/api/v2/product/get_item_list", params).status_code == 200


def test_in_process_reset_and_timeout_raise_httpx_errors() -> None:
    app = create_app(partner_id=PARTNER_ID, partner_key=PARTNER_KEY)
    with TestClient(app, raise_server_exceptions=True) as http:
        client = Client(http)  # type: ignore[arg-type]  # TestClient is an httpx.Client
        client.new_shop()
        assert client.call("GET", SHOP_INFO).status_code == 200
        client.set_faults({"families": {"shop": {"error_rate": 1.0, "error_kind": "reset"}}})
        with pytest.raises(httpx.ReadError):
            client.call("GET", SHOP_INFO)
        client.set_faults({"families": {"shop": {"error_rate": 1.0, "error_kind": "timeout"}}})
        with pytest.raises(httpx.ReadTimeout):
            client.call("GET", SHOP_INFO)
