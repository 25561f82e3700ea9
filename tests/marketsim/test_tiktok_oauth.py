"""OAuth over real HTTP: consent page and redirect, token get/refresh rules, shop list."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from marketsim.tiktok.config import ALL_SCOPES, TikTokConfig
from tests.marketsim.tiktok_helpers import APP_KEY, APP_SECRET, Api, Shop, sim

REDIRECT = "http://127.0.0.1:3000/oauth/tiktok/callback?tenant=7"
DAY = 86_400


@pytest.fixture(scope="module")
def server() -> Iterator[Api]:
    with sim() as api:
        yield api


@pytest.fixture
def api(server: Api) -> Api:
    server.reset()
    return server


def consent(api: Api, **params: str) -> httpx.Response:
    return api.http.get("/oauth/authorize", params={"app_key": APP_KEY, **params})


def code_from(response: httpx.Response, state: str) -> str:
    assert response.status_code == 302, response.text
    target = urlsplit(response.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == REDIRECT.split("?")[0]
    query = parse_qs(target.query)
    assert query["state"] == [state]
    assert query["tenant"] == ["7"]  # the redirect URL's own query survives
    return query["code"][0]


def token_get(api: Api, code: str, **overrides: str) -> dict[str, Any]:
    params = {
        "app_key": APP_KEY,
        "app_secret": APP_SECRET,
        "auth_code": code,
        "grant_type": "authorized_code",
        **overrides,
    }
    return dict(api.http.get("/api/v2/token/get", params=params).json())


def token_refresh(api: Api, refresh_token: str) -> dict[str, Any]:
    params = {
        "app_key": APP_KEY,
        "app_secret": APP_SECRET,
        "refresh_token": refresh_token,
        "grant_type": "refresh_token",
    }
    return dict(api.http.get("/api/v2/token/refresh", params=params).json())


def authorize(api: Api, shop_id: str) -> dict[str, Any]:
    code = code_from(consent(api, shop_id=shop_id, state="s1", redirect_uri=REDIRECT), "s1")
    body = token_get(api, code)
    assert body["code"] == 0, body
    return dict(body["data"])


def test_consent_page_lists_the_shops_to_pick(api: Api) -> None:
    api.new_shop(name="Kedai Satu")
    api.new_shop(name="Kedai <Dua>")
    page = consent(api, state="xyz", redirect_uri=REDIRECT)
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "Kedai Satu" in page.text
    assert "Kedai &lt;Dua&gt;" in page.text  # escaped
    assert 'name="state" value="xyz"' in page.text


def test_shop_id_on_the_consent_url_redirects_at_once_with_code_and_state(api: Api) -> None:
    shop = api.new_shop()
    code = code_from(consent(api, shop_id=shop.shop_id, state="abc", redirect_uri=REDIRECT), "abc")
    assert code.startswith("TTP_")


def test_person_approves_a_shop_on_the_page(api: Api) -> None:
    shop = api.new_shop(name="Picked")
    form = {
        "app_key": APP_KEY,
        "state": "st",
        "redirect_uri": REDIRECT,
        "shop_id": shop.shop_id,
        "action": "approve",
    }
    response = api.http.post("/oauth/authorize", data=form)
    data = token_get(api, code_from(response, "st"))["data"]
    assert data["seller_name"] == "Picked"


def test_person_can_create_a_shop_and_approve_it(api: Api) -> None:
    form = {"state": "n", "redirect_uri": REDIRECT, "action": "new_shop", "new_shop_name": "Fresh"}
    response = api.http.post("/open/authorize", data=form)
    assert token_get(api, code_from(response, "n"))["data"]["seller_name"] == "Fresh"


def test_consent_without_any_redirect_url_is_refused(api: Api) -> None:
    shop = api.new_shop()
    response = consent(api, shop_id=shop.shop_id, state="s")
    assert response.status_code == 400
    assert "redirect" in response.text


def test_configured_redirect_url_is_the_fallback() -> None:
    with sim(config=TikTokConfig(redirect_uri=REDIRECT)) as api:
        shop = api.new_shop()
        code_from(consent(api, shop_id=shop.shop_id, state="s"), "s")


def test_token_get_returns_absolute_expiry_times_and_grant_details(api: Api) -> None:
    shop = api.new_shop(name="Absolute", region="TH")
    now = int(api.http.get("/_sim/clock").json()["now"])
    data = authorize(api, shop.shop_id)
    assert set(data) == {
        "access_token",
        "access_token_expire_in",
        "refresh_token",
        "refresh_token_expire_in",
        "open_id",
        "seller_name",
        "seller_base_region",
        "user_type",
        "granted_scopes",
    }
    assert abs(data["access_token_expire_in"] - (now + 7 * DAY)) <= 2
    assert abs(data["refresh_token_expire_in"] - (now + 365 * DAY)) <= 2
    assert data["seller_base_region"] == "TH"
    assert data["granted_scopes"] == list(ALL_SCOPES)


def test_auth_code_works_once(api: Api) -> None:
    shop = api.new_shop()
    code = code_from(consent(api, shop_id=shop.shop_id, state="s", redirect_uri=REDIRECT), "s")
    assert token_get(api, code)["code"] == 0
    again = token_get(api, code)
    assert again["code"] == 36004004


def test_auth_code_expires_after_30_minutes(api: Api) -> None:
    shop = api.new_shop()
    code = code_from(consent(api, shop_id=shop.shop_id, state="s", redirect_uri=REDIRECT), "s")
    api.advance(30 * 60 + 1)
    assert token_get(api, code)["code"] == 36004004


def test_token_get_checks_app_credentials_and_grant_type(api: Api) -> None:
    shop = api.new_shop()
    code = code_from(consent(api, shop_id=shop.shop_id, state="s", redirect_uri=REDIRECT), "s")
    assert token_get(api, code, app_secret="wrong")["code"] == 36009004
    assert token_get(api, code, grant_type="refresh_token")["code"] == 36009004
    assert token_get(api, code)["code"] == 0  # the failed calls did not burn the code


def test_new_access_token_works_on_the_api(api: Api) -> None:
    shop = api.new_shop(name="Via OAuth")
    data = authorize(api, shop.shop_id)
    api.shop = Shop(shop.shop_id, data["access_token"], data["refresh_token"], shop.shop_cipher)
    shops = api.ok("GET", "/authorization/202309/shops", cipher=False)["shops"]
    assert shops == [
        {
            "id": shop.shop_id,
            "name": "Via OAuth",
            "region": "MY",
            "seller_type": "LOCAL",
            "cipher": shop.shop_cipher,
            "code": shops[0]["code"],
        }
    ]
    assert re.fullmatch(r"\d{18,19}", shop.shop_id)


def test_refresh_rotates_the_refresh_token_and_kills_the_old_one(api: Api) -> None:
    shop = api.new_shop()
    first = authorize(api, shop.shop_id)
    api.advance(3600)
    refreshed = token_refresh(api, first["refresh_token"])
    assert refreshed["code"] == 0, refreshed
    new = refreshed["data"]
    assert new["refresh_token"] != first["refresh_token"]
    assert new["access_token"] != first["access_token"]
    assert new["access_token_expire_in"] >= first["access_token_expire_in"] + 3600 - 2
    # Refreshing does not extend the authorization itself.
    assert new["refresh_token_expire_in"] == first["refresh_token_expire_in"]
    assert token_refresh(api, first["refresh_token"])["code"] == 36004005
    assert token_refresh(api, new["refresh_token"])["code"] == 0


def test_old_access_token_lives_until_its_own_expiry(api: Api) -> None:
    shop = api.new_shop()
    first = authorize(api, shop.shop_id)
    token_refresh(api, first["refresh_token"])
    api.shop = Shop(shop.shop_id, first["access_token"], "", shop.shop_cipher)
    assert api.ok("GET", "/authorization/202309/shops", cipher=False)["shops"]


def test_expired_refresh_token_is_36004001(api: Api) -> None:
    shop = api.new_shop()
    data = authorize(api, shop.shop_id)
    api.advance(366 * DAY)
    assert token_refresh(api, data["refresh_token"])["code"] == 36004001


def test_unknown_refresh_token_is_36004005(api: Api) -> None:
    assert token_refresh(api, "TTP_nope")["code"] == 36004005


def test_control_api_shop_tokens_refresh_like_oauth_ones(api: Api) -> None:
    shop = api.new_shop()
    assert token_refresh(api, shop.refresh_token)["code"] == 0


def test_a_revoked_refresh_token_is_refused_as_a_missing_auth_record(api: Api) -> None:
    shop = api.new_shop()
    data = authorize(api, shop.shop_id)
    faults = {"revoked_tokens": [data["access_token"], data["refresh_token"]]}
    api.http.put("/_sim/faults", json=faults).raise_for_status()
    refused = token_refresh(api, data["refresh_token"])
    assert (refused["code"], refused["message"]) == (36004005, "can not find related auth record")
    api.http.put("/_sim/faults", json={"revoked_tokens": []}).raise_for_status()
    # Refused, not spent: the same refresh token still works once the revocation is lifted.
    assert token_refresh(api, data["refresh_token"])["code"] == 0


def test_a_revoked_access_token_alone_still_refreshes(api: Api) -> None:
    shop = api.new_shop()
    data = authorize(api, shop.shop_id)
    api.http.put("/_sim/faults", json={"revoked_tokens": [data["access_token"]]}).raise_for_status()
    assert token_refresh(api, data["refresh_token"])["code"] == 0
