"""Every published signing vector, computed with the clients' own signing code."""

from __future__ import annotations

import json
from typing import Any

import pytest

from storesync.marketplaces.shopee import signing as shopee_signing
from storesync.marketplaces.shopee import webhooks as shopee_webhooks
from storesync.marketplaces.tiktok import signing as tiktok_signing
from storesync.marketplaces.tiktok import webhooks as tiktok_webhooks
from tests.vectors import VECTORS_PATH

VECTORS: list[dict[str, Any]] = json.loads(VECTORS_PATH.read_text())["vectors"]


def _id(vector: dict[str, Any]) -> str:
    return str(vector["id"])


def compute(v: dict[str, Any]) -> str:
    """The signature our code produces for one vector (the expected value is not looked at)."""
    match v["platform"], v["kind"]:
        case "shopee", "api_shop":
            return shopee_signing.sign_shop(
                v["partner_key"], v["partner_id"], v["path"], v["timestamp"],
                v["access_token"], v["shop_id"],
            )  # fmt: skip
        case "shopee", "api_merchant":
            return shopee_signing.sign_merchant(
                v["partner_key"], v["partner_id"], v["path"], v["timestamp"],
                v["access_token"], v["merchant_id"],
            )  # fmt: skip
        case "shopee", "api_public":
            return shopee_signing.sign_public(
                v["partner_key"], v["partner_id"], v["path"], v["timestamp"]
            )
        case "shopee", "push":
            return shopee_signing.push_signature(
                v["partner_key"], v["callback_url"], v["body"].encode()
            )
        case "tiktok", "api":
            return tiktok_signing.api_sign(
                v["app_secret"], v["path"], v["query"], v["body"].encode()
            )
        case "tiktok", "webhook":
            return tiktok_signing.webhook_signature(
                v["app_key"], v["app_secret"], v["body"].encode()
            )
    raise AssertionError(f"no signer for {v['platform']}/{v['kind']}: add one")


def expected(v: dict[str, Any]) -> str:
    return str(v.get("sign") or v["authorization"])


def test_the_vector_file_is_the_one_we_think() -> None:
    ids = {v["id"] for v in VECTORS}
    assert {"V-S1", "V-S2", "V-S3", "V-S4", "V-S5", "V-S6"} <= ids
    assert {"V-T1", "V-T2", "V-T3", "V-T4", "V-T5"} <= ids


@pytest.mark.parametrize("vector", VECTORS, ids=_id)
def test_client_signing_reproduces_the_published_vector(vector: dict[str, Any]) -> None:
    assert compute(vector) == expected(vector)


def test_shopee_base_strings_match_the_worked_examples() -> None:
    v = next(v for v in VECTORS if v["id"] == "V-S1")
    assert shopee_signing.shop_base_string(
        v["partner_id"], v["path"], v["timestamp"], v["access_token"], v["shop_id"]
    ) == ("2001887/api/v2/shop/get_shop_info165571443159777174636562737266615546704c6d14701711")
    assert (
        shopee_signing.public_base_string(
            2001887, "/api/v2/public/get_shops_by_partner", 1655714431
        )
        == "2001887/api/v2/public/get_shops_by_partner1655714431"
    )


def test_tiktok_base_string_sorts_keys_and_skips_sign_and_access_token() -> None:
    query = {"timestamp": "1623812664", "app_key": "29a39d", "sign": "x", "access_token": "t"}
    assert (
        tiktok_signing.base_string("/authorization/202309/shops", query)
        == b"/authorization/202309/shopsapp_key29a39dtimestamp1623812664"
    )


@pytest.mark.parametrize("vector", [v for v in VECTORS if v["kind"] == "push"], ids=_id)
def test_shopee_push_vectors_verify_through_the_receiver_path(vector: dict[str, Any]) -> None:
    body = vector["body"].encode()
    headers = {"Authorization": vector["authorization"]}
    url = vector["callback_url"]
    assert shopee_webhooks.verify(vector["partner_key"], raw_body=body, headers=headers, url=url)
    assert not shopee_webhooks.verify(
        vector["partner_key"], raw_body=body + b" ", headers=headers, url=url
    )
    assert not shopee_webhooks.verify(
        vector["partner_key"], raw_body=body, headers=headers, url=url + "/other"
    )


@pytest.mark.parametrize("vector", [v for v in VECTORS if v["kind"] == "webhook"], ids=_id)
def test_tiktok_webhook_vectors_verify_through_the_receiver_path(vector: dict[str, Any]) -> None:
    body = vector["body"].encode()
    key, secret = vector["app_key"], vector["app_secret"]
    good = {"authorization": vector["authorization"]}
    assert tiktok_webhooks.verify(key, secret, raw_body=body, headers=good)
    assert not tiktok_webhooks.verify(key, secret, raw_body=body[:-1], headers=good)
    assert not tiktok_webhooks.verify(key, secret, raw_body=body, headers={})
    bearer = {"Authorization": "Bearer " + vector["authorization"]}
    assert not tiktok_webhooks.verify(key, secret, raw_body=body, headers=bearer)
