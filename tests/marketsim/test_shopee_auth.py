"""Signing, timestamps, tokens and OAuth over real HTTP."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.marketsim.shopee_helpers import PARTNER_ID, PARTNER_KEY, Client, doc_sign

SHOP_INFO = "/api/v2/shop/get_shop_info"
ITEMS = "/api/v2/product/get_item_list"
TOKEN = "/api/v2/auth/token/get"
REFRESH = "/api/v2/auth/access_token/get"
CONSENT = "/api/v2/shop/auth_partner"


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    assert set(body) == {"request_id", "error", "message"}, body
    return response.status_code, body["error"], body["message"]


def test_correctly_signed_call_succeeds(shopee: Client) -> None:
    body = shopee.ok("GET", SHOP_INFO)
    # get_shop_info answers at the top level, beside request_id, like token endpoints.
    assert body["region"] == "SG"
    assert body["error"] == ""
    assert body["request_id"]


def test_envelope_on_success(shopee: Client) -> None:
    payload = shopee.call("GET", ITEMS, {"page_size": 10, "item_status": "NORMAL"}).json()
    assert set(payload) == {"request_id", "error", "message", "response"}
    assert payload["error"] == ""


def test_wrong_sign_is_error_sign(shopee: Client) -> None:
    response = shopee.call("GET", SHOP_INFO, sign="0" * 64)
    assert error_of(response) == (403, "error_sign", "Wrong sign.")


def test_sign_over_another_path_is_wrong(shopee: Client) -> None:
    assert shopee.shop is not None
    ts = shopee.now()
    sign = doc_sign(
        PARTNER_KEY, PARTNER_ID, ITEMS, ts, shopee.shop.access_token, shopee.shop.shop_id
    )
    response = shopee.call("GET", SHOP_INFO, timestamp=ts, sign=sign)
    assert error_of(response)[1] == "error_sign"


def test_missing_sign_is_error_param(shopee: Client) -> None:
    response = shopee.call("GET", SHOP_INFO, drop=("sign",))
    assert error_of(response) == (400, "error_param", "There is no sign in query.")


def test_stale_timestamp_is_expired(shopee: Client) -> None:
    response = shopee.call("GET", SHOP_INFO, timestamp=shopee.now() - 301)
    assert error_of(response) == (400, "error_param", "Timestamp is expired.")


def test_timestamp_within_five_minutes_is_accepted(shopee: Client) -> None:
    assert shopee.call("GET", SHOP_INFO, timestamp=shopee.now() - 290).status_code == 200


def test_timestamp_follows_the_simulated_clock(shopee: Client) -> None:
    real_now = shopee.now()
    shopee.advance(3600)
    response = shopee.call("GET", SHOP_INFO, timestamp=real_now)
    assert error_of(response)[2] == "Timestamp is expired."


def test_sign_and_token_go_in_the_query_of_a_post_too(shopee: Client) -> None:
    skus = shopee.add_products([{"name": "A", "variants": [{"sku": "A", "price": 1, "stock": 1}]}])
    body = {
        "item_id": skus["A"]["item_id"],
        "stock_list": [{"model_id": 0, "seller_stock": [{"stock": 4}]}],
    }
    # The body is never signed: the same sign works whatever the body.
    assert shopee.ok("POST", "/api/v2/product/update_stock", body=body)["success_list"]


def test_expired_access_token_is_error_auth(shopee: Client) -> None:
    shopee.advance(4 * 3600 + 1)
    response = shopee.call("GET", SHOP_INFO)
    assert error_of(response) == (403, "error_auth", "Invalid access_token.")


def test_unknown_access_token_is_error_auth(shopee: Client) -> None:
    response = shopee.call("GET", SHOP_INFO, access_token="f" * 32)
    assert error_of(response)[:2] == (403, "error_auth")


def test_token_of_another_shop_is_refused(shopee: Client) -> None:
    first = shopee.shop
    assert first is not None
    second = shopee.new_shop()
    response = shopee.call("GET", SHOP_INFO, shop=second, access_token=first.access_token)
    assert error_of(response)[1] == "error_auth"


def test_revoked_token_is_refused(shopee: Client) -> None:
    assert shopee.shop is not None
    shopee.set_faults({"revoked_tokens": [shopee.shop.access_token]})
    response = shopee.call("GET", SHOP_INFO)
    status, error, _ = error_of(response)
    assert (status, error) == (403, "invalid_acceess_token")


def test_wrong_partner_id_is_refused(shopee: Client) -> None:
    other = Client(shopee.http, partner_id=PARTNER_ID + 1)
    other.shop = shopee.shop
    assert error_of(other.call("GET", SHOP_INFO))[1] == "error_auth"


# -- OAuth ---------------------------------------------------------------------------------------


def consent_url(client: Client, redirect: str, **extra: object) -> tuple[str, dict[str, object]]:
    ts = client.now()
    params: dict[str, object] = {
        "partner_id": PARTNER_ID,
        "timestamp": ts,
        "sign": doc_sign(PARTNER_KEY, PARTNER_ID, CONSENT, ts),
        "redirect": redirect,
        **extra,
    }
    return CONSENT, params


def test_consent_with_shop_id_redirects_with_a_code(shopee: Client) -> None:
    assert shopee.shop is not None
    path, params = consent_url(shopee, "https://app.example/cb?x=1", shop_id=shopee.shop.shop_id)
    response = shopee.http.get(path, params=params)
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    query = parse_qs(location.query)
    assert location.netloc == "app.example"
    assert query["x"] == ["1"]
    assert query["shop_id"] == [str(shopee.shop.shop_id)]
    code = query["code"][0]

    body = {"code": code, "partner_id": PARTNER_ID, "shop_id": shopee.shop.shop_id}
    tokens = shopee.call("POST", TOKEN, body=body, public=True).json()
    # Token endpoints answer at the top level, without a `response` wrapper.
    assert tokens["error"] == ""
    assert tokens["expire_in"] == 4 * 3600
    assert "response" not in tokens
    shopee.shop.access_token = tokens["access_token"]
    assert shopee.call("GET", SHOP_INFO).status_code == 200

    again = shopee.call("POST", TOKEN, body=body, public=True)
    assert error_of(again)[1] == "error_param"  # a code is single use


def test_code_expires_after_ten_minutes(shopee: Client) -> None:
    assert shopee.shop is not None
    path, params = consent_url(shopee, "https://app.example/cb", shop_id=shopee.shop.shop_id)
    location = shopee.http.get(path, params=params).headers["location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    shopee.advance(601)
    body = {"code": code, "partner_id": PARTNER_ID, "shop_id": shopee.shop.shop_id}
    assert error_of(shopee.call("POST", TOKEN, body=body, public=True))[1] == "error_param"


def test_consent_page_form_approves_a_chosen_shop(shopee: Client) -> None:
    assert shopee.shop is not None
    path, params = consent_url(shopee, "https://app.example/cb")
    page = shopee.http.get(path, params=params)
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert str(shopee.shop.shop_id) in page.text
    consent_id = page.text.split('name="consent_id" value="')[1].split('"')[0]
    approved = shopee.http.post(
        path, data={"consent_id": consent_id, "shop_id": shopee.shop.shop_id}
    )
    assert approved.status_code == 303
    query = parse_qs(urlsplit(approved.headers["location"]).query)
    assert query["shop_id"] == [str(shopee.shop.shop_id)]
    body = {"code": query["code"][0], "partner_id": PARTNER_ID, "shop_id": shopee.shop.shop_id}
    assert shopee.call("POST", TOKEN, body=body, public=True).json()["access_token"]
    # The consent id is single use too.
    replay = shopee.http.post(path, data={"consent_id": consent_id, "shop_id": shopee.shop.shop_id})
    assert replay.status_code == 400


def test_consent_page_can_create_a_new_shop(shopee_sim: Callable[..., Client]) -> None:
    client = shopee_sim()
    path, params = consent_url(client, "https://app.example/cb")
    page = client.http.get(path, params=params)
    consent_id = page.text.split('name="consent_id" value="')[1].split('"')[0]
    approved = client.http.post(path, data={"consent_id": consent_id, "shop_id": "new"})
    query = parse_qs(urlsplit(approved.headers["location"]).query)
    assert int(query["shop_id"][0]) > 0


def test_consent_link_needs_a_valid_sign(shopee: Client) -> None:
    path, params = consent_url(shopee, "https://app.example/cb")
    params["sign"] = "0" * 64
    assert error_of(shopee.http.get(path, params=params))[1] == "error_sign"


# -- refresh -------------------------------------------------------------------------------------


def refresh(client: Client, token: str) -> httpx.Response:
    assert client.shop is not None
    body = {"refresh_token": token, "partner_id": PARTNER_ID, "shop_id": client.shop.shop_id}
    return client.call("POST", REFRESH, body=body, public=True)


def test_refresh_rules(shopee: Client) -> None:
    shop = shopee.shop
    assert shop is not None
    old_access, old_refresh = shop.access_token, shop.refresh_token

    pair = refresh(shopee, old_refresh).json()
    assert pair["error"] == ""
    assert pair["shop_id"] == shop.shop_id
    assert pair["partner_id"] == PARTNER_ID
    assert {pair["access_token"], pair["refresh_token"]}.isdisjoint({old_access, old_refresh})

    # The refresh token is single use.
    assert error_of(refresh(shopee, old_refresh))[:2] == (400, "error_param")

    # The old access token stays valid for 5 more minutes, then not.
    assert shopee.call("GET", SHOP_INFO, access_token=old_access).status_code == 200
    shopee.advance(290)
    assert shopee.call("GET", SHOP_INFO, access_token=old_access).status_code == 200
    shopee.advance(20)
    assert error_of(shopee.call("GET", SHOP_INFO, access_token=old_access))[1] == "error_auth"
    assert shopee.call("GET", SHOP_INFO, access_token=pair["access_token"]).status_code == 200

    # Every refresh returns a new pair; the new refresh token works once.
    again = refresh(shopee, pair["refresh_token"]).json()
    assert again["refresh_token"] != pair["refresh_token"]


def test_refresh_token_expires_after_thirty_days(shopee: Client) -> None:
    assert shopee.shop is not None
    shopee.advance(30 * 86400 + 1)
    assert error_of(refresh(shopee, shopee.shop.refresh_token))[1] == "error_param"


def test_lifetimes_are_configurable(shopee_sim: Callable[..., Client]) -> None:
    client = shopee_sim(access_ttl_s=60, refresh_ttl_s=120)
    shop = client.new_shop()
    pair = refresh(client, shop.refresh_token).json()
    assert pair["expire_in"] == 60
    client.shop = shop = type(shop)(shop.shop_id, pair["access_token"], pair["refresh_token"])
    client.advance(61)
    assert error_of(client.call("GET", SHOP_INFO))[1] == "error_auth"
    client.advance(60)
    assert error_of(refresh(client, shop.refresh_token))[1] == "error_param"


def test_revoked_access_token_can_still_be_refreshed_unless_its_refresh_token_is_too(
    shopee: Client,
) -> None:
    shop = shopee.shop
    assert shop is not None
    shopee.set_faults({"revoked_tokens": [shop.access_token]})
    pair = refresh(shopee, shop.refresh_token).json()
    assert pair["error"] == ""
    assert shopee.call("GET", SHOP_INFO, access_token=pair["access_token"]).status_code == 200

    shopee.set_faults({"revoked_tokens": [pair["access_token"], pair["refresh_token"]]})
    assert error_of(refresh(shopee, pair["refresh_token"]))[:2] == (403, "error_auth")
