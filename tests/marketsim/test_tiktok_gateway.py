"""Gateway behaviour over real HTTP: signatures, timestamps, tokens, identifiers, scopes, limits,
faults. Each failure must carry the platform's own code, message and HTTP status."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from marketsim.tiktok.app import create_app
from marketsim.tiktok.config import SCOPE_AUTHORIZATION, TikTokConfig
from tests.marketsim.tiktok_helpers import APP_KEY, APP_SECRET, Api, Shop, doc_sign, sim

SEARCH = "/order/202309/orders/search"
SHOPS = "/authorization/202309/shops"


@pytest.fixture(scope="module")
def server() -> Iterator[Api]:
    with sim(seed=3) as api:
        yield api


@pytest.fixture
def api(server: Api) -> Api:
    server.reset()
    server.shop = server.new_shop(name="Gateway Shop")
    return server


def search(api: Api, **kwargs: Any) -> httpx.Response:
    return api.call("POST", SEARCH, query={"page_size": "10"}, body={}, **kwargs)


def assert_error(response: httpx.Response, status: int, code: int, words: str) -> None:
    payload = response.json()
    assert response.status_code == status, payload
    assert payload["code"] == code, payload
    assert words in payload["message"], payload
    assert set(payload) == {"code", "message", "request_id", "data"}
    assert payload["request_id"]


def test_correctly_signed_call_succeeds(api: Api) -> None:
    response = search(api)
    assert response.status_code == 200
    payload = response.json()
    assert payload["code"] == 0
    assert payload["message"] == "Success"
    assert payload["data"] == {"orders": [], "total_count": 0, "next_page_token": ""}


def test_wrong_sign_is_106001_with_http_401(api: Api) -> None:
    assert_error(search(api, sign="0" * 64), 401, 106001, "`sign` query parameter is invalid")


def test_body_changed_after_signing_is_rejected(api: Api) -> None:
    shop = _shop(api)
    params = {"app_key": APP_KEY, "timestamp": str(int(time.time()))}
    params["shop_cipher"] = shop.shop_cipher
    params["page_size"] = "10"
    params["sign"] = doc_sign(APP_SECRET, SEARCH, params, b"{}")
    response = api.http.post(
        SEARCH,
        params=params,
        content=b'{"order_status":"UNPAID"}',
        headers={"x-tts-access-token": shop.access_token, "content-type": "application/json"},
    )
    assert_error(response, 401, 106001, "sign")


def test_wrong_secret_is_a_bad_sign(api: Api) -> None:
    assert_error(search(api, secret="not-the-secret"), 401, 106001, "sign")


def test_missing_sign_is_36009004_missing_credentials(api: Api) -> None:
    assert_error(search(api, sign=""), 401, 36009004, "Missing credentials")


@pytest.mark.parametrize(
    ("offset", "words"),
    [(-301, "earlier than 5 minutes"), (+40, "more than 30 seconds")],
)
def test_timestamp_outside_the_window_is_36009004(api: Api, offset: int, words: str) -> None:
    response = search(api, timestamp=int(time.time()) + offset)
    assert_error(response, 401, 36009004, "Invalid timestamp")
    assert words in response.json()["message"]


def test_timestamp_inside_the_window_is_accepted(api: Api) -> None:
    assert search(api, timestamp=int(time.time()) - 240).json()["code"] == 0
    assert search(api, timestamp=int(time.time()) + 20).json()["code"] == 0


def test_timestamp_window_follows_the_simulated_clock(api: Api) -> None:
    api.advance(600)
    wall_clock = int(time.time())
    assert_error(search(api, timestamp=wall_clock), 401, 36009004, "earlier than 5 minutes")
    assert search(api).json()["code"] == 0  # signed with the simulated "now"


def test_unknown_app_key_is_36009004(api: Api) -> None:
    response = api.http.post(SEARCH, params={"app_key": "nope", "timestamp": "1", "sign": "x"})
    assert_error(response, 400, 36009004, "Invalid `app_key`")


def test_unknown_token_is_36009004_header_invalid(api: Api) -> None:
    assert_error(search(api, token="TTP_forged"), 401, 36009004, "x-tts-access-token")


def test_missing_token_is_36009004_header_invalid(api: Api) -> None:
    shop = _shop(api)
    api.shop = Shop(shop.shop_id, "", shop.refresh_token, shop.shop_cipher)
    assert_error(search(api), 401, 36009004, "x-tts-access-token")


def test_expired_token_is_105002_after_seven_days(api: Api) -> None:
    assert search(api).json()["code"] == 0
    api.advance(7 * 86_400 + 5)
    assert_error(search(api), 401, 105002, "Expired credentials")


def test_revoked_token_is_rejected_as_invalid(api: Api) -> None:
    faults = {"revoked_tokens": [_shop(api).access_token]}
    api.http.put("/_sim/faults", json=faults).raise_for_status()
    assert_error(search(api), 401, 36009004, "x-tts-access-token")


def test_missing_shop_cipher_is_106013(api: Api) -> None:
    response = api.call("POST", SEARCH, query={"page_size": "10"}, body={}, cipher=False)
    assert_error(response, 400, 106013, "shop_cipher")


def test_shop_cipher_on_authorization_path_is_unexpected_identifier(api: Api) -> None:
    assert_error(api.call("GET", SHOPS), 400, 36009004, "Unexpected identifier")
    assert api.call("GET", SHOPS, cipher=False).json()["code"] == 0


def test_token_of_another_shop_is_101000(api: Api) -> None:
    other = api.new_shop(name="Other")
    response = search(api, token=other.access_token)
    assert_error(response, 403, 101000, "x-tts-access-token")


def test_unknown_path_is_36009009_with_http_404(api: Api) -> None:
    assert_error(api.call("GET", "/order/202309/nothing"), 404, 36009009, "Invalid path")


def test_wrong_method_is_36009010(api: Api) -> None:
    assert_error(api.call("GET", SEARCH), 405, 36009010, "Invalid method")


def test_body_that_is_not_json_is_36009022(api: Api) -> None:
    shop = _shop(api)
    params = {"app_key": APP_KEY, "timestamp": str(int(time.time())), "page_size": "10"}
    params["shop_cipher"] = shop.shop_cipher
    params["sign"] = doc_sign(APP_SECRET, SEARCH, params, b"not json")
    response = api.http.post(
        SEARCH,
        params=params,
        content=b"not json",
        headers={"x-tts-access-token": shop.access_token},
    )
    assert_error(response, 400, 36009022, "Invalid request format")


def test_over_the_rate_limit_is_http_429_and_36009002(api: Api) -> None:
    api.http.put("/_sim/faults", json={"rate_limits": {"order": 3}}).raise_for_status()
    codes = [search(api).status_code for _ in range(4)]
    assert codes[:3] == [200, 200, 200]
    response = search(api)
    assert_error(response, 429, 36009002, "Too many requests")
    # Other families keep their own budget.
    assert api.call("GET", SHOPS, cipher=False).status_code == 200


def test_missing_scope_is_105005() -> None:
    config = TikTokConfig(granted_scopes=(SCOPE_AUTHORIZATION,))
    with sim(config=config) as api:
        api.shop = api.new_shop()
        assert api.call("GET", SHOPS, cipher=False).json()["code"] == 0
        assert_error(search(api), 403, 105005, "Access denied")


def test_call_log_counts_outcomes_by_route(api: Api) -> None:
    search(api)
    search(api, sign="0" * 64)
    calls = api.http.get("/_sim/calls").json()
    assert calls[SEARCH] == {"ok": 1, "106001": 1}


# --- faults --------------------------------------------------------------------------------------


def outcomes(api: Api, n: int) -> list[tuple[int, int]]:
    result = []
    for _ in range(n):
        response = search(api)
        result.append((response.status_code, response.json()["code"]))
    return result


def test_5xx_faults_answer_36009003_with_500_or_503(api: Api) -> None:
    faults = {"families": {"order": {"error_rate": 1.0, "error_kind": "5xx"}}}
    api.http.put("/_sim/faults", json=faults).raise_for_status()
    seen = outcomes(api, 2)
    assert {status for status, _ in seen} == {500, 503}
    assert {code for _, code in seen} == {36009003}
    assert api.http.get("/_sim/faults").json()["injected"]["5xx"] == 2


def test_injected_429_is_the_rate_limit_error(api: Api) -> None:
    faults = {"families": {"*": {"error_rate": 1.0, "error_kind": "429"}}}
    api.http.put("/_sim/faults", json=faults).raise_for_status()
    assert_error(search(api), 429, 36009002, "Too many requests")


def test_fault_sequence_is_reproduced_under_the_same_seed(api: Api) -> None:
    faults = {"seed": 11, "families": {"order": {"error_rate": 0.5, "error_kind": "5xx"}}}
    api.http.put("/_sim/faults", json=faults).raise_for_status()
    first = outcomes(api, 16)
    api.http.put("/_sim/faults", json=faults).raise_for_status()  # re-seeds every stream
    second = outcomes(api, 16)
    assert first == second
    assert {code for _, code in first} == {0, 36009003}
    with sim(faults=None, seed=99) as fresh:
        fresh.shop = fresh.new_shop()
        fresh.http.put("/_sim/faults", json=faults).raise_for_status()
        assert outcomes(fresh, 16) == first
    api.http.put("/_sim/faults", json={**faults, "seed": 12}).raise_for_status()
    assert outcomes(api, 16) != first


def test_reset_fault_drops_the_tcp_connection(api: Api) -> None:
    faults = {"families": {"order": {"error_rate": 1.0, "error_kind": "reset"}}}
    api.http.put("/_sim/faults", json=faults).raise_for_status()
    with pytest.raises(httpx.TransportError):
        search(api)
    assert api.http.get("/_sim/calls").json()[SEARCH] == {"reset": 1}


def test_timeout_fault_hangs_past_the_client_timeout(api: Api) -> None:
    faults = {
        "families": {"order": {"error_rate": 1.0, "error_kind": "timeout", "hang_seconds": 0.5}}
    }
    api.http.put("/_sim/faults", json=faults).raise_for_status()
    api.http.timeout = httpx.Timeout(0.15)
    try:
        with pytest.raises(httpx.ReadTimeout):
            search(api)
    finally:
        api.http.timeout = httpx.Timeout(10.0)


def test_latency_fault_delays_the_answer(api: Api) -> None:
    faults = {"families": {"order": {"latency_ms": 150}}}
    api.http.put("/_sim/faults", json=faults).raise_for_status()
    started = time.monotonic()
    assert search(api).json()["code"] == 0
    assert time.monotonic() - started >= 0.14


def _shop(api: Api) -> Shop:
    assert api.shop is not None
    return api.shop


def test_works_in_process_over_asgi_transport() -> None:
    """Contract tests may skip sockets: the same app answers through httpx.ASGITransport."""

    async def scenario() -> tuple[int, int]:
        app = create_app(app_key=APP_KEY, app_secret=APP_SECRET)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sim") as client:
            shop = (await client.post("/_sim/shops", json={})).json()
            params = {"app_key": APP_KEY, "timestamp": str(int(time.time()))}
            params["sign"] = doc_sign(APP_SECRET, SHOPS, params)
            headers = {"x-tts-access-token": shop["access_token"]}
            response = await client.get(SHOPS, params=params, headers=headers)
            return response.status_code, response.json()["code"]

    assert asyncio.run(scenario()) == (200, 0)
